import { leastCalls, rateFloor } from "../../bench/bringup";

describe("the bring-up floor", () => {
  test("GIVEN 100 launches whose instances take attaches at once WHEN computing the floor THEN the attach bucket sets it: (100 - 50) / 5 + 0.5 s", () => {
    const f = rateFloor(leastCalls(100));

    expect(f.seconds).toBeCloseTo(10.5);
    expect(f.setBy).toBe("mutating");
  });

  test("GIVEN 100 launches, one of whose instances refuses attaches until 30 s WHEN computing the floor THEN its readiness sets it: 30 + 0.5 s", () => {
    const ready = [...Array<number>(99).fill(1), 30];

    const f = rateFloor(leastCalls(100), ready);

    expect(f.seconds).toBeCloseTo(30.5);
    expect(f.setBy).toBe("attach readiness");
  });

  test("GIVEN 100 attaches, 60 of them ready only at 10 s WHEN computing the floor THEN the 100th attach waits for the bucket's 100th token, not the readiness alone: (100 - 50) / 5 = 10 s, plus 0.5 s", () => {
    const ready = [...Array<number>(40).fill(0), ...Array<number>(60).fill(10)];

    const f = rateFloor(leastCalls(100), ready);

    expect(f.attachReadySeconds).toBeCloseTo(10);
    expect(f.seconds).toBeCloseTo(10.5);
  });

  test("GIVEN 20 launches all ready at 5 s WHEN computing the floor THEN no bucket drains and readiness sets it: 5.5 s", () => {
    const f = rateFloor(leastCalls(20), Array<number>(20).fill(5));

    expect(f.seconds).toBeCloseTo(5.5);
  });
});
