// How the EC2 model's Describe* calls select what they return: filters and pages.
import type { Filter, Instance, NetworkInterface, Subnet, SubnetCidrReservation } from "@aws-sdk/client-ec2";
import { Ec2Error } from "./errors";

/** The values of filter `name` on an item, or undefined for a filter the call does not know. */
export type FilterFields<T> = (name: string) => ((item: T) => string[]) | undefined;

function wildcard(pattern: string): (value: string) => boolean {
  if (!/[*?]/.test(pattern)) return (v) => v === pattern;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return (v) => re.test(v);
}

/** Filters as EC2 applies them: values of one filter OR'd, filters AND'd, `*`/`?` wildcards. */
export function matchFilters<T>(item: T, filters: Filter[] | undefined, fields: FilterFields<T>): boolean {
  for (const f of filters ?? []) {
    const name = f.Name ?? "";
    const get = fields(name);
    if (!get) throw new Ec2Error("InvalidParameterValue", `The filter '${name}' is invalid`);
    const values = get(item);
    const tests = (f.Values ?? []).map(wildcard);
    if (!values.some((v) => tests.some((t) => t(v)))) return false;
  }
  return true;
}

/** `tag:<key>`, `tag-key` and `tag-value`, which every taggable resource's Describe* takes. */
export function tagFields<T>(name: string, tags: (item: T) => Map<string, string>): ((item: T) => string[]) | undefined {
  if (name.startsWith("tag:")) {
    const key = name.slice(4);
    return (item) => {
      const v = tags(item).get(key);
      return v === undefined ? [] : [v];
    };
  }
  if (name === "tag-key") return (item) => [...tags(item).keys()];
  if (name === "tag-value") return (item) => [...tags(item).values()];
  return undefined;
}

/** DescribeNetworkInterfaces filters. */
export const eniFilter: FilterFields<NetworkInterface> = (name) => {
  switch (name) {
    case "subnet-id":
      return (n) => [n.SubnetId ?? ""];
    case "network-interface-id":
      return (n) => [n.NetworkInterfaceId ?? ""];
    case "vpc-id":
      return (n) => [n.VpcId ?? ""];
    case "availability-zone":
      return (n) => [n.AvailabilityZone ?? ""];
    case "status":
      return (n) => [n.Status ?? ""];
    case "description":
      return (n) => [n.Description ?? ""];
    case "attachment.instance-id":
      return (n) => (n.Attachment?.InstanceId ? [n.Attachment.InstanceId] : []);
    case "attachment.device-index":
      return (n) => (n.Attachment?.DeviceIndex !== undefined ? [String(n.Attachment.DeviceIndex)] : []);
    case "attachment.attachment-id":
      return (n) => (n.Attachment?.AttachmentId ? [n.Attachment.AttachmentId] : []);
    case "attachment.status":
      return (n) => (n.Attachment?.Status ? [n.Attachment.Status] : []);
    case "addresses.private-ip-address":
      return (n) => (n.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress ?? "");
    case "private-ip-address":
      return (n) => [n.PrivateIpAddress ?? ""];
    case "addresses.primary":
      return (n) => (n.PrivateIpAddresses ?? []).map((p) => String(p.Primary ?? false));
    default: {
      const tags = (n: NetworkInterface) => new Map((n.TagSet ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
      return tagFields(name, tags);
    }
  }
};

/** DescribeSubnets filters. */
export const subnetFilter: FilterFields<Subnet> = (name) => {
  if (name === "subnet-id") return (x) => [x.SubnetId ?? ""];
  if (name === "vpc-id") return (x) => [x.VpcId ?? ""];
  if (name === "availability-zone") return (x) => [x.AvailabilityZone ?? ""];
  if (name === "cidr-block" || name === "cidr") return (x) => [x.CidrBlock ?? ""];
  return undefined;
};

/** DescribeInstances filters. */
export const instanceFilter: FilterFields<Instance> = (name) => {
  if (name === "instance-id") return (x) => [x.InstanceId ?? ""];
  if (name === "instance-state-name") return (x) => [x.State?.Name ?? ""];
  if (name === "availability-zone") return (x) => [x.Placement?.AvailabilityZone ?? ""];
  if (name === "instance-type") return (x) => [String(x.InstanceType ?? "")];
  if (name === "network-interface.subnet-id") return (x) => (x.NetworkInterfaces ?? []).map((n) => n.SubnetId ?? "");
  return tagFields(name, (x: Instance) => new Map((x.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])));
};

/** GetSubnetCidrReservations filters. */
export const reservationFilter: FilterFields<SubnetCidrReservation> = (name) => {
  if (name === "reservationType") return (x) => [x.ReservationType ?? ""];
  if (name === "subnet-id") return (x) => [x.SubnetId ?? ""];
  if (name === "owner-id") return (x) => [x.OwnerId ?? ""];
  return undefined;
};

interface PageToken {
  readonly offset: number;
}

/** NextToken for the page that starts at `offset` of the filtered list. */
export function encodeToken(t: PageToken): string {
  return Buffer.from(JSON.stringify(t)).toString("base64");
}

export function decodeToken(token: string): PageToken {
  try {
    const t = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as PageToken;
    if (typeof t.offset === "number" && t.offset >= 0) return t;
  } catch {
    // fall through
  }
  throw new Ec2Error("InvalidParameterValue", `Invalid value '${token}' for NextToken`);
}
