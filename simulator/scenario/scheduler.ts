import { Rng, seededRandom } from "../rng";

/**
 * Decides which of the concurrent invocations runs next. Every SDK call and every sleep of
 * every invocation goes through `wait`, so the order of those steps is the interleaving.
 */
export interface ScenarioScheduler {
  /** Simulated ms. */
  readonly now: number;
  /** Suspends the caller for `ms` of simulated time; `label` names the step in traces. */
  wait(ms: number, label: string): Promise<void>;
  /** Drives the scheduled steps until `main` settles. */
  run<T>(main: Promise<T>): Promise<T>;
  /** Called before each step is released at simulated time `at` (e.g. to fire timeouts). */
  onAdvance?: (at: number) => void;
  /** Released steps in order, as `t=<ms> <label>` (capped). */
  readonly trace: string[];
}

const TRACE_CAP = 5000;

/**
 * A discrete-event scheduler over simulated time: when every invocation is blocked in `wait`
 * (checked once the microtask queue has drained), it releases the one with the earliest wake
 * time, ties broken by the seed. With seeded per-call latencies the interleaving is a pure
 * function of the seed: replaying a seed replays the run.
 */
export class VirtualScheduler implements ScenarioScheduler {
  now = 0;
  onAdvance?: (at: number) => void;
  readonly trace: string[] = [];
  private readonly queue: { wake: number; tie: number; label: string; resolve: () => void }[] = [];
  private readonly rng: Rng;
  private pending = false;

  constructor(seed: number) {
    this.rng = seededRandom(seed ^ 0x5eed);
  }

  wait(ms: number, label: string): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ wake: this.now + Math.max(0, ms), tie: this.rng(), label, resolve });
      this.kick();
    });
  }

  async run<T>(main: Promise<T>): Promise<T> {
    this.kick();
    return main;
  }

  private kick(): void {
    if (this.pending) return;
    this.pending = true;
    // setImmediate runs after every resolved promise's continuation: all invocations that can
    // make progress without a step have done so, and the rest are queued.
    setImmediate(() => {
      this.pending = false;
      if (!this.queue.length) return;
      let best = 0;
      for (let i = 1; i < this.queue.length; i++) {
        const a = this.queue[i]!;
        const b = this.queue[best]!;
        if (a.wake < b.wake || (a.wake === b.wake && a.tie < b.tie)) best = i;
      }
      const step = this.queue.splice(best, 1)[0]!;
      this.now = Math.max(this.now, step.wake);
      this.onAdvance?.(this.now);
      if (this.trace.length < TRACE_CAP) this.trace.push(`t=${this.now} ${step.label}`);
      step.resolve();
      this.kick();
    });
  }
}

/** The part of fast-check's `fc.scheduler()` this adapter uses. */
export interface FcSchedulerLike {
  schedule<T>(task: Promise<T>, label?: string): Promise<T>;
  waitFor<T>(task: Promise<T>): Promise<T>;
}

/**
 * Lets fast-check's scheduler pick the interleaving (and shrink it on failure). Time moves by
 * each released step's `ms`, in release order.
 */
export class FcScheduler implements ScenarioScheduler {
  now = 0;
  onAdvance?: (at: number) => void;
  readonly trace: string[] = [];

  constructor(private readonly s: FcSchedulerLike) {}

  async wait(ms: number, label: string): Promise<void> {
    await this.s.schedule(Promise.resolve(label), label);
    this.now += Math.max(0, ms);
    this.onAdvance?.(this.now);
    if (this.trace.length < TRACE_CAP) this.trace.push(`t=${this.now} ${label}`);
  }

  run<T>(main: Promise<T>): Promise<T> {
    return this.s.waitFor(main);
  }
}
