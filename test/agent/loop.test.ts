import { ReconcileLoop } from "../../agent/loop";

/** A round that the test finishes by hand, so overlaps can be provoked. */
function controllableRun() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const run = jest.fn(() => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })));
  return { run, pending };
}

describe("ReconcileLoop", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("GIVEN a started loop WHEN rounds succeed THEN it runs at once and then once per resync period", async () => {
    const run = jest.fn(async () => undefined);
    const loop = new ReconcileLoop({ run, resyncMs: 30000, debounceMs: 500, retry: { minMs: 1000, maxMs: 30000 } });
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(29999);
    expect(run).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(2);
    await loop.stop();
  });

  it("GIVEN a burst of triggers WHEN the debounce passes THEN one round runs for the burst", async () => {
    const run = jest.fn(async () => undefined);
    const loop = new ReconcileLoop({ run, resyncMs: 30000, debounceMs: 500, retry: { minMs: 1000, maxMs: 30000 } });
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 10; i++) loop.trigger();
    await jest.advanceTimersByTimeAsync(499);
    expect(run).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(2);
    await loop.stop();
  });

  it("GIVEN a trigger during a round WHEN the round ends THEN exactly one more round follows and rounds never overlap", async () => {
    const { run, pending } = controllableRun();
    const loop = new ReconcileLoop({ run, resyncMs: 30000, debounceMs: 10, retry: { minMs: 1000, maxMs: 30000 } });
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.trigger();
    loop.trigger();
    await jest.advanceTimersByTimeAsync(100);
    expect(run).toHaveBeenCalledTimes(1);
    pending[0]!.resolve();
    await jest.advanceTimersByTimeAsync(10);
    expect(run).toHaveBeenCalledTimes(2);
    pending[1]!.resolve();
    await jest.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(2);
    await loop.stop();
  });

  it("GIVEN rounds keep failing WHEN time passes THEN retries back off 1 s, 2 s, 4 s up to the cap, and a success resets it", async () => {
    let fail = true;
    const run = jest.fn(async () => {
      if (fail) throw new Error("boom");
    });
    const log = jest.fn();
    const loop = new ReconcileLoop({ run, resyncMs: 30000, debounceMs: 500, retry: { minMs: 1000, maxMs: 4000 }, log });
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    const at: number[] = [];
    for (const step of [1000, 2000, 4000, 4000]) {
      await jest.advanceTimersByTimeAsync(step - 1);
      at.push(run.mock.calls.length);
      await jest.advanceTimersByTimeAsync(1);
    }
    expect(at).toEqual([1, 2, 3, 4]);
    expect(run).toHaveBeenCalledTimes(5);
    expect(log).toHaveBeenCalledWith(expect.objectContaining({ level: "warn", msg: "reconcile failed; retrying", error: "Error: boom", retryInMs: 4000 }));
    fail = false;
    await jest.advanceTimersByTimeAsync(4000);
    expect(run).toHaveBeenCalledTimes(6);
    await jest.advanceTimersByTimeAsync(29999);
    expect(run).toHaveBeenCalledTimes(6);
    // The success reset the backoff: the next failure (the resync round) retries after 1 s, not 4 s.
    fail = true;
    await jest.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(7);
    expect(log).toHaveBeenLastCalledWith(expect.objectContaining({ msg: "reconcile failed; retrying", retryInMs: 1000, failures: 1 }));
    await jest.advanceTimersByTimeAsync(999);
    expect(run).toHaveBeenCalledTimes(7);
    await jest.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(8);
    await loop.stop();
  });

  it("GIVEN a round in progress WHEN stopped THEN stop waits for it and no round starts afterwards", async () => {
    const { run, pending } = controllableRun();
    const loop = new ReconcileLoop({ run, resyncMs: 1000, debounceMs: 10, retry: { minMs: 1000, maxMs: 30000 } });
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    loop.trigger();
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    pending[0]!.resolve();
    await stopping;
    await jest.advanceTimersByTimeAsync(60000);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
