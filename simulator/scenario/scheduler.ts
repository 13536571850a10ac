import { DiscreteClock, SimClock, Timer, TimerQueue } from "../clock";
import { seededRandom } from "../rng";

/**
 * The clock of a scenario, which also decides which of the concurrent invocations runs next:
 * every SDK call and every sleep of every invocation waits on it, so the order of those steps
 * is the interleaving.
 */
export interface ScenarioScheduler extends SimClock {
  /** Drives the scheduled steps until `main` settles. */
  run<T>(main: Promise<T>): Promise<T>;
}

/**
 * The discrete-event clock as a scenario scheduler: the earliest wake time goes first, ties
 * broken by the seed. With seeded latencies the interleaving is a pure function of the seed.
 */
export class VirtualScheduler extends DiscreteClock implements ScenarioScheduler {
  async run<T>(main: Promise<T>): Promise<T> {
    return main;
  }
}

/** The part of fast-check's `fc.scheduler()` this adapter uses. */
export interface FcSchedulerLike {
  schedule<T>(task: Promise<T>, label?: string): Promise<T>;
  waitFor<T>(task: Promise<T>): Promise<T>;
}

/**
 * Lets fast-check's scheduler pick the interleaving (and shrink it on failure): any waiting
 * step may be released next, whatever its wake time. A released step moves time to its wake
 * time if that is later (time never runs backwards), and model events due by then fire first.
 */
export class FcScheduler implements ScenarioScheduler {
  readonly trace: string[] = [];
  private t = 0;
  private readonly timers = new TimerQueue(seededRandom(0xfc));

  constructor(private readonly s: FcSchedulerLike) {}

  now(): number {
    return this.t;
  }

  async sleep(ms: number, label = "sleep"): Promise<void> {
    const wake = this.t + Math.max(0, ms);
    await this.s.schedule(Promise.resolve(label), label);
    this.fireUntil(wake);
    if (this.trace.length < 5000) this.trace.push(`t=${this.t} ${label}`);
  }

  setTimer(ms: number, fn: () => void, label = "timer"): Timer {
    const e = this.timers.push(this.t + Math.max(0, ms), "timer", label, fn);
    return { cancel: () => this.timers.cancel(e) };
  }

  advance(ms: number): void {
    this.fireUntil(this.t + Math.max(0, ms));
  }

  settle(): void {
    this.fireUntil(Infinity);
  }

  run<T>(main: Promise<T>): Promise<T> {
    return this.s.waitFor(main);
  }

  private fireUntil(until: number): void {
    for (let e = this.timers.peek(); e && e.at <= until; e = this.timers.peek()) {
      this.timers.shift();
      this.t = Math.max(this.t, e.at);
      e.fire();
    }
    if (until !== Infinity) this.t = Math.max(this.t, until);
  }
}
