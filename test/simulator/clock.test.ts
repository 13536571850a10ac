import { DiscreteClock, WallClock } from "../../simulator/clock";

describe("DiscreteClock", () => {
  test("GIVEN tasks sleeping different times WHEN they run THEN each wakes at its simulated time, in order, without wall time passing", async () => {
    const clock = new DiscreteClock(1);
    const woke: string[] = [];
    const task = async (name: string, ms: number[]) => {
      for (const m of ms) {
        await clock.sleep(m, name);
        woke.push(`${name}@${clock.now()}`);
      }
    };
    const start = Date.now();
    await Promise.all([task("a", [60_000, 60_000]), task("b", [1000, 90_000]), task("c", [0])]);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(woke).toEqual(["c@0", "b@1000", "a@60000", "b@91000", "a@120000"]);
  });

  test("GIVEN a model timer WHEN a task sleeps past it THEN it fires at its time; a cancelled one never fires; timers alone do not move time", async () => {
    const clock = new DiscreteClock(1);
    const fired: number[] = [];
    clock.setTimer(500, () => fired.push(clock.now()));
    clock.setTimer(700, () => fired.push(-1)).cancel();
    clock.setTimer(5000, () => fired.push(clock.now()));
    await clock.sleep(1000);
    expect(clock.now()).toBe(1000);
    expect(fired).toEqual([500]);
    await new Promise((r) => setImmediate(r));
    expect(clock.now()).toBe(1000);
    clock.settle();
    expect(fired).toEqual([500, 5000]);
    expect(clock.now()).toBe(5000);
  });

  test("GIVEN a timer that schedules another WHEN time is advanced by hand THEN both fire in order and time ends where asked", () => {
    const clock = new DiscreteClock(1);
    const fired: string[] = [];
    clock.setTimer(100, () => {
      fired.push(`first@${clock.now()}`);
      clock.setTimer(100, () => fired.push(`second@${clock.now()}`));
    });
    clock.advance(150);
    expect(fired).toEqual(["first@100"]);
    clock.advance(100);
    expect(fired).toEqual(["first@100", "second@200"]);
    expect(clock.now()).toBe(250);
  });

  test("GIVEN the same seed WHEN tasks wake at the same time THEN they go in the same order; another seed may reorder them", async () => {
    const order = async (seed: number) => {
      const clock = new DiscreteClock(seed);
      const out: number[] = [];
      await Promise.all(Array.from({ length: 8 }, (_, i) => clock.sleep(10).then(() => out.push(i))));
      return out.join();
    };
    expect(await order(3)).toBe(await order(3));
    const orders = new Set(await Promise.all([1, 2, 3, 4, 5].map(order)));
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe("WallClock", () => {
  test("GIVEN a wall clock the test moves WHEN it passes two timers' times THEN catchUp fires both in order, each at its own due time, and what they schedule counts from then", () => {
    let wall = 1_000_000;
    const clock = new WallClock({ wall: () => wall });
    const fired: string[] = [];
    clock.setTimer(500, () => {
      fired.push(`a@${clock.now()}`);
      clock.setTimer(1000, () => fired.push(`c@${clock.now()}`));
    });
    clock.setTimer(800, () => fired.push(`b@${clock.now()}`));
    wall += 1200;
    expect(fired).toEqual([]);
    clock.catchUp();
    expect(fired).toEqual(["a@500", "b@800"]);
    expect(clock.now()).toBe(1200);
    wall += 300;
    clock.catchUp();
    expect(fired).toEqual(["a@500", "b@800", "c@1500"]);
    clock.stop();
  });

  test("GIVEN real time at 100 simulated ms per ms WHEN nobody calls in THEN a timer fires on its own after its time; advance jumps ahead; a cancelled one never fires", async () => {
    const clock = new WallClock({ speed: 100 });
    const fired: string[] = [];
    clock.setTimer(2000, () => fired.push("due"));
    clock.setTimer(3000, () => fired.push("cancelled")).cancel();
    clock.setTimer(3_600_000, () => fired.push("jumped"));
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toEqual(["due"]);
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
    clock.advance(3_600_000);
    expect(fired).toEqual(["due", "jumped"]);
    clock.stop();
  });
});
