// Pages for Describe* actions whose model returns everything at once: the page size and the
// NextToken are checked and applied here, as the service does.
import { AutoScalingError } from "./autoscaling/model";
import { Ec2Error } from "./ec2/errors";
import { decodeToken, encodeToken } from "./ec2/filters";
import type { Operation } from "./operations";

export interface PageSpec {
  /** The output member holding the items. */
  readonly items: string;
  /** `MaxResults` (EC2) or `MaxRecords` (Auto Scaling). */
  readonly sizeParam: "MaxResults" | "MaxRecords";
  readonly min: number;
  readonly max: number;
  /** Page size when the caller gives none. @default everything */
  readonly defaultSize?: number;
  /** An id list the page size may not be combined with (EC2). */
  readonly ids?: string;
  readonly service: "ec2" | "autoscaling";
}

function invalid(spec: PageSpec, message: string, code = "InvalidParameterValue"): Error {
  return spec.service === "ec2" ? new Ec2Error(code, message) : new AutoScalingError(code === "InvalidParameterValue" ? "ValidationError" : code, message);
}

function token(spec: PageSpec, raw: string): number {
  try {
    return decodeToken(raw).offset;
  } catch {
    // Auto Scaling's modelled error for a bad token (API reference, DescribeAutoScalingGroups errors).
    throw spec.service === "ec2" ? new Ec2Error("InvalidParameterValue", `Invalid value '${raw}' for NextToken`) : new AutoScalingError("InvalidNextToken", "The NextToken value is invalid.");
  }
}

export function paged(op: Operation, spec: PageSpec): Operation {
  return async (input: Record<string, unknown> = {}) => {
    const { [spec.sizeParam]: size, NextToken, ...rest } = input as Record<string, unknown> & { NextToken?: string };
    if (size !== undefined) {
      const ids = spec.ids ? (input[spec.ids] as unknown[] | undefined) : undefined;
      if (ids?.length) throw invalid(spec, `The parameter ${spec.ids} cannot be used with the parameter ${spec.sizeParam}`, "InvalidParameterCombination");
      if (typeof size !== "number" || !Number.isInteger(size) || size < spec.min || size > spec.max) {
        throw invalid(spec, `Value ( ${String(size)} ) for parameter ${spec.sizeParam} is invalid. Expecting a value between ${spec.min} and ${spec.max}.`);
      }
    }
    const start = NextToken ? token(spec, NextToken) : 0;
    const out = (await op(rest)) as Record<string, unknown>;
    const all = (out[spec.items] as unknown[] | undefined) ?? [];
    const n = (size as number | undefined) ?? spec.defaultSize ?? all.length;
    const page = all.slice(start, start + n);
    const next = start + n < all.length ? encodeToken({ offset: start + n }) : undefined;
    return { ...out, [spec.items]: page, NextToken: next };
  };
}

/**
 * DescribeInstances: MaxResults 5..1000, not with InstanceIds (EC2 API reference,
 * DescribeInstances). Pages hold reservations; the model launches one instance per reservation.
 */
export function pagedInstances(op: Operation): Operation {
  return paged(op, { items: "Reservations", sizeParam: "MaxResults", min: 5, max: 1000, ids: "InstanceIds", service: "ec2" });
}
