// The two Query APIs the simulator speaks, described by the AWS SDK's own operation schemas:
// the same shapes the SDK's serializers write and its deserializers read.
import * as Ec2Sdk from "@aws-sdk/client-ec2";
import * as AsgSdk from "@aws-sdk/client-auto-scaling";
import type { StaticOperationSchema, StaticStructureSchema } from "@smithy/types";

export type ServiceName = "ec2" | "autoscaling";

export interface QueryService {
  readonly name: ServiceName;
  /** The API version the requests carry (`Version=`) and the responses' XML namespace names. */
  readonly version: string;
  readonly xmlNamespace: string;
  /**
   * `ec2`: the EC2 Query protocol (keys capitalised or `ec2QueryName`, lists flattened as
   * `Name.N`, members straight under `<ActionResponse>`); `query`: the awsQuery protocol
   * (keys as modelled, lists as `Name.member.N`, members under `<ActionResult>`).
   * Smithy spec, "AWS query protocol" and "AWS EC2 query protocol".
   */
  readonly style: "ec2" | "query";
  /** Smithy namespace of the service's shapes. */
  readonly namespace: string;
  readonly sdk: Readonly<Record<string, unknown>>;
}

/** EC2 API version 2016-11-15 (EC2 API reference, "Making requests"). */
export const EC2_SERVICE: QueryService = {
  name: "ec2",
  version: "2016-11-15",
  xmlNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/",
  style: "ec2",
  namespace: "com.amazonaws.ec2",
  sdk: Ec2Sdk as unknown as Record<string, unknown>,
};

/** Auto Scaling API version 2011-01-01 (Amazon EC2 Auto Scaling API reference). */
export const AUTOSCALING_SERVICE: QueryService = {
  name: "autoscaling",
  version: "2011-01-01",
  xmlNamespace: "http://autoscaling.amazonaws.com/doc/2011-01-01/",
  style: "query",
  namespace: "com.amazonaws.autoscaling",
  sdk: AsgSdk as unknown as Record<string, unknown>,
};

export const SERVICES: readonly QueryService[] = [EC2_SERVICE, AUTOSCALING_SERVICE];

/** Action names are PascalCase words; anything else is not an action of either API. */
const ACTION_NAME = /^[A-Z][A-Za-z0-9]{1,127}$/;

/** The SDK's operation schema for `action` (e.g. `DescribeSubnets`), if the service has that action. */
export function operationSchema(service: QueryService, action: string): StaticOperationSchema | undefined {
  if (!ACTION_NAME.test(action) || !Object.prototype.hasOwnProperty.call(service.sdk, `${action}$`)) return undefined;
  const s = service.sdk[`${action}$`];
  return Array.isArray(s) && s[0] === 9 && s[2] === action ? (s as StaticOperationSchema) : undefined;
}

/** A schema reference resolved (the SDK writes most of them as thunks). */
export function deref<T>(ref: T | (() => T)): T {
  return typeof ref === "function" ? (ref as () => T)() : ref;
}

/** The operation's input or output structure, or undefined for Smithy's `Unit`. */
export function structureOf(ref: unknown): StaticStructureSchema | undefined {
  const s = deref(ref);
  return Array.isArray(s) && s[0] === 3 ? (s as StaticStructureSchema) : undefined;
}

/** The SDK command's operation name: `DescribeSubnetsCommand` → `DescribeSubnets`. */
export function operationOfCommand(commandName: string): string {
  return commandName.endsWith("Command") ? commandName.slice(0, -"Command".length) : commandName;
}
