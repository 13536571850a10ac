import fc from "fast-check";
import { DEFAULT_CAP_MS, RetryPolicy, fullJitterMs, retry } from "../../lambda/retry";

const taken = () => Object.assign(new Error("The specified IP address is already in use."), { name: "InvalidIPAddress.InUse" });
const inUse = (err: unknown) => (err as Error).name === "InvalidIPAddress.InUse";

/** A clock whose sleeps return at once and are recorded; `now` moves only when told. */
function testClock(random: () => number = () => 0.5) {
  const sleeps: number[] = [];
  let t = 1_000_000;
  return {
    sleeps,
    advance: (ms: number) => (t += ms),
    clock: { sleep: async (ms: number) => void sleeps.push(ms), random, now: () => t },
  };
}

/** An operation that fails with `errors` in turn, then returns "done"; counts its calls. */
function failing(errors: unknown[]) {
  const calls: number[] = [];
  const op = async (attempt: number) => {
    calls.push(attempt);
    if (calls.length <= errors.length) throw errors[calls.length - 1];
    return "done";
  };
  return { op, calls };
}

describe("retry", () => {
  test("GIVEN an operation that succeeds at once WHEN retried THEN it runs once and nothing sleeps", async () => {
    const { clock, sleeps } = testClock();
    const { op, calls } = failing([]);

    await expect(retry(op, { retryOn: inUse, attempts: 5, baseMs: 50 }, clock)).resolves.toBe("done");

    expect(calls).toEqual([0]);
    expect(sleeps).toEqual([]);
  });

  test("GIVEN two retryable failures WHEN retried THEN the third attempt's result comes back, after one sleep per failure", async () => {
    const { clock, sleeps } = testClock();
    const { op, calls } = failing([taken(), taken()]);

    await expect(retry(op, { retryOn: inUse, attempts: 5, baseMs: 50 }, clock)).resolves.toBe("done");

    expect(calls).toEqual([0, 1, 2]);
    expect(sleeps).toHaveLength(2);
  });

  test("GIVEN an attempt budget of 3 WHEN every attempt fails THEN it makes 3 attempts, sleeps twice (not after the last) and throws the last error", async () => {
    const { clock, sleeps } = testClock();
    const errors = [taken(), taken(), taken(), taken()];
    const { op, calls } = failing(errors);

    await expect(retry(op, { retryOn: inUse, attempts: 3, baseMs: 50 }, clock)).rejects.toBe(errors[2]);

    expect(calls).toEqual([0, 1, 2]);
    expect(sleeps).toHaveLength(2);
  });

  test("GIVEN an error the policy does not retry WHEN it is thrown THEN it is rethrown at once, with no sleep", async () => {
    const { clock, sleeps } = testClock();
    const other = Object.assign(new Error("bad"), { name: "InvalidParameterValue" });
    const { op, calls } = failing([taken(), other]);

    await expect(retry(op, { retryOn: inUse, attempts: 10, baseMs: 50 }, clock)).rejects.toBe(other);

    expect(calls).toEqual([0, 1]);
    expect(sleeps).toHaveLength(1);
  });

  test("GIVEN no retryOn WHEN the operation throws THEN nothing is retried", async () => {
    const { clock, sleeps } = testClock();
    const { op, calls } = failing([taken()]);

    await expect(retry(op, { attempts: 10, baseMs: 50 }, clock)).rejects.toMatchObject({ name: "InvalidIPAddress.InUse" });

    expect(calls).toEqual([0]);
    expect(sleeps).toEqual([]);
  });

  test("GIVEN a time budget and a clock that stands still WHEN every attempt fails THEN the waits add up to the budget exactly and stop there", async () => {
    // random 0.999: every wait is (almost) its full bound 100, 200, 400, 800, 1600, ...; the
    // fifth is cut to what is left of the budget.
    const { clock, sleeps } = testClock(() => 0.999);
    const { op, calls } = failing(Array.from({ length: 100 }, taken));

    await expect(retry(op, { retryOn: inUse, budgetMs: 3000, baseMs: 100 }, clock)).rejects.toMatchObject({ name: "InvalidIPAddress.InUse" });

    expect(sleeps).toEqual([99, 199, 399, 799, 3000 - (99 + 199 + 399 + 799)]);
    expect(calls).toHaveLength(sleeps.length + 1);
  });

  test("GIVEN a time budget and a clock that moves with the calls WHEN the clock passes the budget THEN no further attempt starts", async () => {
    const { clock, sleeps, advance } = testClock(() => 0);
    const calls: number[] = [];
    // Each attempt takes 400 ms of the clock; the waits are 0 (random 0).
    const op = async (attempt: number) => {
      calls.push(attempt);
      advance(400);
      throw taken();
    };

    await expect(retry(op, { retryOn: inUse, budgetMs: 1000, baseMs: 100 }, clock)).rejects.toMatchObject({ name: "InvalidIPAddress.InUse" });

    // Starts at 0, 400 and 800 ms; at 1200 ms the budget is spent.
    expect(calls).toEqual([0, 1, 2]);
    expect(sleeps).toEqual([0, 0]);
  });

  test("GIVEN both an attempt and a time budget WHEN the attempts run out first THEN it stops there", async () => {
    const { clock, sleeps } = testClock();
    const { op, calls } = failing(Array.from({ length: 10 }, taken));

    await expect(retry(op, { retryOn: inUse, attempts: 2, budgetMs: 60_000, baseMs: 100 }, clock)).rejects.toMatchObject({ name: "InvalidIPAddress.InUse" });

    expect(calls).toEqual([0, 1]);
    expect(sleeps).toHaveLength(1);
  });

  test("GIVEN results the policy asks to repeat WHEN one comes back that it does not THEN that one is returned", async () => {
    const { clock, sleeps } = testClock();
    const answers = [undefined, undefined, "i-1"];
    const policy: RetryPolicy<string | undefined> = { again: (r) => r === undefined, attempts: 5, baseMs: 100 };

    await expect(retry(async (n) => answers[n], policy, clock)).resolves.toBe("i-1");

    expect(sleeps).toHaveLength(2);
  });

  test("GIVEN results the policy asks to repeat WHEN the budget runs out THEN the last result is returned, not an error", async () => {
    const { clock } = testClock();
    const reads: number[] = [];
    const policy: RetryPolicy<string | undefined> = { again: (r) => r === undefined, attempts: 4, baseMs: 100 };

    await expect(retry(async (n) => void reads.push(n), policy, clock)).resolves.toBeUndefined();

    expect(reads).toEqual([0, 1, 2, 3]);
  });

  test("GIVEN an injected sleep and random WHEN the operation fails THEN every wait goes through the injected sleep with the full-jitter value of the injected random", async () => {
    const draws = [0.25, 0.5, 0.75];
    const { clock, sleeps } = testClock(() => draws.shift()!);
    const { op } = failing([taken(), taken(), taken()]);

    await retry(op, { retryOn: inUse, attempts: 4, baseMs: 100, capMs: 300 }, clock);

    // min(300, 100 * 2^n) for n = 0, 1, 2: 100, 200, 300.
    expect(sleeps).toEqual([25, 100, 225]);
  });
});

describe("fullJitterMs", () => {
  test("GIVEN any attempt, base, cap and random draw WHEN the wait is computed THEN it lies in [0, min(cap, base * 2^attempt)) in whole ms", () => {
    fc.assert(
      fc.property(fc.nat(40), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 60_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, base, cap, r) => {
        const ms = fullJitterMs(attempt, base, cap, () => r);
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThan(Math.min(cap, base * 2 ** attempt));
      }),
    );
  });

  test("GIVEN the extremes of the random draw WHEN the wait is computed THEN 0 gives no wait and a draw just under 1 gives just under the bound", () => {
    expect(fullJitterMs(3, 50, DEFAULT_CAP_MS, () => 0)).toBe(0);
    expect(fullJitterMs(3, 50, DEFAULT_CAP_MS, () => 0.9999)).toBe(399);
    // Past the cap the bound stays the cap.
    expect(fullJitterMs(10, 50, DEFAULT_CAP_MS, () => 0.9999)).toBe(1999);
  });
});
