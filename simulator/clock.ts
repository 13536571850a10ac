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

export interface WallClockOptions {
  /** Orders entries due at the same time. @default 1 */
  readonly seed?: number;
  /** Simulated ms per wall-clock ms. @default 1 (real time) */
  readonly speed?: number;
  /** The wall clock, epoch ms. @default Date.now */
  readonly wall?: () => number;
}

/**
 * Simulated time that follows the wall clock, `speed` simulated ms per real ms: the clock of
 * an endpoint that clients nobody here wrote talk to (`multus-sim serve` under `aws`). Model
 * events fire on a real timer when they fall due, and `catchUp` fires what is due before a
 * request is served, so a client polling over HTTP sees an attachment go `attaching` →
 * `attached` after the profile's attach time and a hook time out after its heartbeat
 * timeout. An event runs at its own due time (what it schedules counts from then), however
 * late the timer fired. `advance` jumps ahead (a test that will not wait a pending instance
 * out); time never runs backwards.
 */
export class WallClock implements SimClock {
  readonly trace: string[] = [];
  private readonly queue: TimerQueue;
  private readonly wall: () => number;
  private readonly speed: number;
  private readonly start: number;
  /** Simulated ms jumped ahead by `advance` and `settle`. */
  private offset = 0;
  private last = 0;
  /** The due time of the entry being released. */
  private releasing: number | undefined;
  private handle: ReturnType<typeof setTimeout> | undefined;
  private handleAt = Infinity;

  constructor(opts: WallClockOptions = {}) {
    this.queue = new TimerQueue(seededRandom((opts.seed ?? 1) ^ 0x5eed));
    this.wall = opts.wall ?? Date.now;
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0)) throw new Error(`WallClock: speed must be > 0, got ${this.speed}`);
    this.start = this.wall();
  }

  now(): number {
    return this.releasing ?? this.wallNow();
  }

  sleep(ms: number, label = "sleep"): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(this.now() + Math.max(0, ms), "sleep", label, resolve);
      this.arm();
    });
  }

  setTimer(ms: number, fn: () => void, label = "timer"): Timer {
    const e = this.queue.push(this.now() + Math.max(0, ms), "timer", label, fn);
    this.arm();
    return { cancel: () => this.queue.cancel(e) };
  }

  /** Fires every entry due by the wall clock now, in time order. */
  catchUp(): void {
    for (let e = this.queue.peek(); e && e.at <= this.wallNow(); e = this.queue.peek()) this.release(this.queue.shift()!);
    this.arm();
  }

  advance(ms: number): void {
    this.offset += Math.max(0, ms);
    this.catchUp();
  }

  settle(): void {
    for (let e = this.queue.peek(); e; e = this.queue.peek()) {
      const behind = e.at - this.wallNow();
      if (behind > 0) this.offset += behind;
      this.release(this.queue.shift()!);
    }
    this.arm();
  }

  /** Stops the real timer (the endpoint closes); entries still due stay queued. */
  stop(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.handleAt = Infinity;
  }

  private wallNow(): number {
    this.last = Math.max(this.last, (this.wall() - this.start) * this.speed + this.offset);
    return this.last;
  }

  private release(e: { readonly at: number; readonly label: string; readonly fire: () => void }): void {
    this.releasing = e.at;
    try {
      if (this.trace.length < TRACE_CAP) this.trace.push(`t=${Math.round(e.at)} ${e.label}`);
      e.fire();
    } finally {
      this.releasing = undefined;
    }
  }

  /** One real timer, for the earliest entry. */
  private arm(): void {
    const e = this.queue.peek();
    if (!e) return this.stop();
    if (this.handle !== undefined && this.handleAt <= e.at) return;
    this.stop();
    this.handleAt = e.at;
    this.handle = setTimeout(
      () => {
        this.handle = undefined;
        this.handleAt = Infinity;
        this.catchUp();
      },
      Math.max(0, (e.at - this.wallNow()) / this.speed),
    );
    // The endpoint's server keeps the process alive, not the simulated clock.
    this.handle.unref?.();
  }
}
