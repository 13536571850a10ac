import { EC2ServiceException } from "@aws-sdk/client-ec2";
import { errorCode, errorText, isTransientFault } from "../../contract/aws-errors";

/** An error as the SDK v3 throws it for an EC2 error response. */
function ec2Error(name: string, message: string, httpStatusCode: number): EC2ServiceException {
  return new EC2ServiceException({ name, message, $fault: httpStatusCode >= 500 ? "server" : "client", $metadata: { httpStatusCode } });
}

describe("errorCode and errorText", () => {
  test("GIVEN an SDK error WHEN read THEN the code is its name and the text adds the message", () => {
    const err = ec2Error("InvalidIPAddress.InUse", "The specified IP address is already in use.", 400);
    expect(errorCode(err)).toBe("InvalidIPAddress.InUse");
    expect(errorText(err)).toBe("InvalidIPAddress.InUse: The specified IP address is already in use.");
  });

  test("GIVEN an error whose message is its code, or no error object at all WHEN read THEN the text says it once", () => {
    expect(errorText(Object.assign(new Error("Throttling"), { name: "Throttling" }))).toBe("Throttling");
    expect(errorCode("boom")).toBe("boom");
    expect(errorText(undefined)).toBe("undefined");
  });
});

describe("isTransientFault", () => {
  test("GIVEN throttling, a timeout and server faults WHEN classified THEN they are transient", () => {
    expect(isTransientFault(ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503))).toBe(true);
    expect(isTransientFault(ec2Error("Throttling", "Rate exceeded", 400))).toBe(true);
    expect(isTransientFault(ec2Error("InternalError", "An internal error has occurred.", 500))).toBe(true);
    expect(isTransientFault(ec2Error("Unavailable", "The server is overloaded.", 503))).toBe(true);
    expect(isTransientFault(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe(true);
  });

  test("GIVEN answers about the request WHEN classified THEN they are not transient", () => {
    expect(isTransientFault(ec2Error("InvalidIPAddress.InUse", "The specified IP address is already in use.", 400))).toBe(false);
    expect(isTransientFault(ec2Error("PrivateIpAddressLimitExceeded", "Number of private addresses will exceed limit.", 400))).toBe(false);
    expect(isTransientFault(ec2Error("IncorrectInstanceState", "The instance is not in a valid state for this operation.", 400))).toBe(false);
    expect(isTransientFault(new Error("plain"))).toBe(false);
    expect(isTransientFault(undefined)).toBe(false);
    expect(isTransientFault("RequestLimitExceeded")).toBe(false);
  });
});
