import { Rng, seededRandom } from "./rng";

/** A scheduled model event; `cancel` takes it back (a heartbeat that resets a hook timeout, say). */
export interface Timer {
  cancel(): void;
}

/**
 * Simulated time, shared by every model of a run (EC2, Auto Scaling, EventBridge, Lambda) and by
 * the code under test (its sleeps). Milliseconds since the run began.
 */
export interface Clock {
  now(): number;
  /** Resolves once `ms` of simulated time have passed; other tasks run meanwhile. `label` names the step in traces. */
  sleep(ms: number, label?: string): Promise<void>;
  /** Calls `fn` once `ms` of simulated time have passed: a model's own event (an attach completing, a hook timing out). */
  setTimer(ms: number, fn: () => void, label?: string): Timer;
}

/** A clock a test or a scenario drives: by hand (`advance`), and to the end of a run (`settle`). */
export interface SimClock extends Clock {
  /**
   * Moves time forward by `ms` at once, firing due timers in time order. Tasks asleep meanwhile
   * wake after the timers (for driving models by hand between runs, not during one).
   */
  advance(ms: number): void;
  /** Fires every timer still scheduled, in time order, moving time to each (the end of a run). */
  settle(): void;
  /** Released steps in order, as `t=<ms> <label>` (capped). */
  readonly trace: string[];
}

const TRACE_CAP = 5000;

interface Entry {
  readonly at: number;
  /** Orders entries due at the same time: seeded, so a seed replays the run. */
  readonly tie: number;
  readonly seq: number;
  readonly label: string;
  /** A sleeper wakes; a timer runs its model event. */
  readonly kind: "sleep" | "timer";
  readonly fire: () => void;
  cancelled: boolean;
}

/** Entries ordered by due time, then the seeded tie, then insertion (a binary heap). */
export class TimerQueue {
  private readonly heap: Entry[] = [];
  private seq = 0;
  /** Sleepers queued (not yet fired): time moves only while someone waits for it. */
  sleepers = 0;

  constructor(private readonly rng: Rng) {}

  push(at: number, kind: Entry["kind"], label: string, fire: () => void): Entry {
    const e: Entry = { at, tie: this.rng(), seq: this.seq++, label, kind, fire, cancelled: false };
    if (kind === "sleep") this.sleepers++;
    this.heap.push(e);
    this.up(this.heap.length - 1);
    return e;
  }

  cancel(e: Entry): void {
    if (e.cancelled) return;
    e.cancelled = true;
    if (e.kind === "sleep") this.sleepers--;
  }

  /** The earliest live entry, without removing it. */
  peek(): Entry | undefined {
    while (this.heap.length && this.heap[0]!.cancelled) this.pop();
    return this.heap[0];
  }

  /** Removes and returns the earliest live entry. */
  shift(): Entry | undefined {
    const e = this.peek();
    if (!e) return undefined;
    this.pop();
    if (e.kind === "sleep") this.sleepers--;
    return e;
  }

  get size(): number {
    return this.heap.filter((e) => !e.cancelled).length;
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && (a.tie < b.tie || (a.tie === b.tie && a.seq < b.seq)));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/**
 * A discrete-event clock: simulated time costs no wall time. When every task is waiting
 * (checked once the microtask queue has drained), time jumps to the earliest due entry: a
 * sleeper wakes, or a model event runs. Entries due at the same time go in an order drawn
 * from the seed, so the interleaving is a pure function of the seed and replaying a seed
 * replays the run. Model events alone do not move time: a run ends when its last task ends,
 * and `settle` fires what is left.
 */
export class DiscreteClock implements SimClock {
  readonly trace: string[] = [];
  protected t = 0;
  protected readonly queue: TimerQueue;
  private kicked = false;

  constructor(seed = 1) {
    this.queue = new TimerQueue(seededRandom(seed ^ 0x5eed));
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, label = "sleep"): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(this.t + Math.max(0, ms), "sleep", label, resolve);
      this.kick();
    });
  }

  setTimer(ms: number, fn: () => void, label = "timer"): Timer {
    const e = this.queue.push(this.t + Math.max(0, ms), "timer", label, fn);
    return { cancel: () => this.queue.cancel(e) };
  }

  advance(ms: number): void {
    this.fireUntil(this.t + Math.max(0, ms));
  }

  settle(): void {
    this.fireUntil(Infinity);
  }

  /** Fires entries due by `until` in order; time ends at `until` (or the last entry fired when unbounded). */
  private fireUntil(until: number): void {
    for (let e = this.queue.peek(); e && e.at <= until; e = this.queue.peek()) this.release(this.queue.shift()!);
    if (until !== Infinity) this.t = Math.max(this.t, until);
  }

  protected release(e: Entry): void {
    this.t = Math.max(this.t, e.at);
    if (this.trace.length < TRACE_CAP) this.trace.push(`t=${this.t} ${e.label}`);
    e.fire();
  }

  private kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    // setImmediate runs after every resolved promise's continuation: every task that can make
    // progress without time passing has done so, and the rest are queued.
    setImmediate(() => {
      this.kicked = false;
      if (this.queue.sleepers === 0) return;
      this.release(this.queue.shift()!);
      this.kick();
    });
  }
}
