/** Timer functions, injectable for tests. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LoopOptions {
  /**
   * One reconcile round; throwing means it failed and is retried with backoff. It may ask for
   * the next round sooner than `resyncMs` (`againInMs`), e.g. while the node waits for its
   * network.
   */
  readonly run: () => Promise<void | { readonly againInMs?: number }>;
  /** Full resync period after a successful round. */
  readonly resyncMs: number;
  /** Quiet time after a trigger before running, so a burst of pod events makes one round. */
  readonly debounceMs: number;
  /** Backoff after failures: doubles from `minMs` up to `maxMs`. */
  readonly retry: { readonly minMs: number; readonly maxMs: number };
  readonly timers?: Timers;
  readonly log?: (line: { msg: string; level?: "info" | "warn" | "error"; [k: string]: unknown }) => void;
}

/** The wait after `failures` failures in a row (1 or more): `minMs`, doubling up to `maxMs`. */
export function doublingBackoffMs(failures: number, limits: { readonly minMs: number; readonly maxMs: number }): number {
  return Math.min(limits.maxMs, limits.minMs * 2 ** (failures - 1));
}

/**
 * Runs reconcile rounds level-triggered: at start, `debounceMs` after any trigger (a watch
 * event), every `resyncMs` after a success, and with exponential backoff after a failure.
 * Rounds never overlap: a trigger during a round schedules one more round after it.
 */
export class ReconcileLoop {
  private timer: unknown;
  private due = Infinity;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  private failures = 0;
  private readonly timers: Timers;
  /** Rounds started (for logs and tests). */
  rounds = 0;

  constructor(private readonly opts: LoopOptions) {
    this.timers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  start(): void {
    this.schedule(0);
  }

  /** Asks for a round soon (debounced). */
  trigger(): void {
    if (this.running) this.dirty = true;
    else this.schedule(this.opts.debounceMs);
  }

  /** Stops scheduling and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel();
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    const due = Date.now() + ms;
    if (this.timer !== undefined && this.due <= due) return;
    this.cancel();
    this.due = due;
    this.timer = this.timers.setTimeout(() => this.fire(), ms);
  }

  private cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.due = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.due = Infinity;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.rounds++;
    this.running = this.opts
      .run()
      .then(
        (res) => {
          this.failures = 0;
          this.schedule(Math.min(this.opts.resyncMs, res?.againInMs ?? Infinity));
        },
        (err: unknown) => {
          this.failures++;
          const wait = doublingBackoffMs(this.failures, this.opts.retry);
          this.opts.log?.({ level: "warn", msg: "reconcile failed; retrying", error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), retryInMs: wait, failures: this.failures });
          this.schedule(wait);
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.dirty) {
          this.dirty = false;
          this.schedule(this.opts.debounceMs);
        }
      });
  }
}
