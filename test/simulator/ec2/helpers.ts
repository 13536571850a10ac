import { Ec2Error } from "../../../simulator/ec2/model";

/** The `Code: message` of a call that must fail as EC2 fails a client's request. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Ec2Error);
    const e = err as Ec2Error;
    expect(e.$fault).toBe("client");
    expect(e.$metadata.httpStatusCode).toBeGreaterThanOrEqual(400);
    return `${e.name}: ${e.message}`;
  }
  throw new Error("expected the call to fail");
}
