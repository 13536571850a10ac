/**
 * The one way the Lambda waits EC2 out: an address taken meanwhile, an instance a read does
 * not show yet, an instance that does not take an ENI yet, an ENI still detaching.
 * Throttling and server faults are not retried here: the SDK client's own retry does that
 * before an error reaches this code (lambda/clients.ts).
 *
 * Waits are exponential backoff with full jitter, sleep = random(0, min(cap, base * 2^n)) after
 * the n-th failed attempt (n = 0 for the first), so that launches that failed together do not
 * retry together (AWS Architecture Blog, "Exponential Backoff And Jitter",
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 */

interface RetryLimits {
  /** Attempts in all, the first included. */
  readonly attempts?: number;
  /**
   * Time from the first attempt after which no other starts, in ms. It counts the waits, or
   * the clock where that moved further (calls take time too). A `random` that always gives 0
   * never spends it: give `attempts` too then.
   */
  readonly budgetMs?: number;
}

/** How many attempts, or how long (at least one of the two): a retry stops at whichever it reaches first. */
export type RetryBudget = (RetryLimits & { readonly attempts: number }) | (RetryLimits & { readonly budgetMs: number });

export type RetryPolicy<T> = RetryBudget & {
  /** Errors worth another attempt; any other error is thrown at once. @default none */
  readonly retryOn?: (err: unknown) => boolean;
  /** Results worth another attempt (EC2 does not show it yet); when the budget is spent the last one is returned. @default none */
  readonly again?: (result: T) => boolean;
  /** The longest wait after the first failed attempt, in ms; it doubles with each failure. */
  readonly baseMs: number;
  /** No wait is longer, in ms. @default 2000 */
  readonly capMs?: number;
};

/** What a retry waits with; injected so tests and the simulator control time and jitter. */
export interface RetryClock {
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** Epoch ms. @default none: only the waits count toward `budgetMs` */
  readonly now?: () => number;
}

export const DEFAULT_CAP_MS = 2000;

/** The full-jitter wait after failed attempt `attempt` (0 for the first): random(0, min(cap, base * 2^attempt)), whole ms. */
export function fullJitterMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/**
 * Runs `op(attempt)` (attempt 0 first) until it gives a result `again` does not ask to
 * repeat, throws an error `retryOn` does not accept, or the budget is spent: then the last
 * error is thrown, or the last result returned. Sleeps between attempts, never after the last.
 */
export async function retry<T>(op: (attempt: number) => Promise<T>, policy: RetryPolicy<T>, clock: RetryClock): Promise<T> {
  const start = clock.now?.();
  const capMs = policy.capMs ?? DEFAULT_CAP_MS;
  let slept = 0;
  for (let attempt = 0; ; attempt++) {
    let last: { readonly value: T } | { readonly error: unknown };
    try {
      const value = await op(attempt);
      if (!policy.again?.(value)) return value;
      last = { value };
    } catch (error) {
      if (!policy.retryOn?.(error)) throw error;
      last = { error };
    }
    const elapsed = Math.max(slept, start === undefined ? 0 : clock.now!() - start);
    const left = policy.budgetMs === undefined ? Infinity : policy.budgetMs - elapsed;
    if (attempt + 1 >= (policy.attempts ?? Infinity) || left <= 0) {
      if ("value" in last) return last.value;
      throw last.error;
    }
    const ms = Math.min(left, fullJitterMs(attempt, policy.baseMs, capMs, clock.random));
    await clock.sleep(ms);
    slept += ms;
  }
}
