// The EC2 model's records in the shapes the SDK v3 gives them (and tags back from them).
import type { Instance, NetworkInterface, Subnet, SubnetCidrReservation, Tag, TagSpecification } from "@aws-sdk/client-ec2";
import { intToIp } from "../../contract/address";
import { bigToIp6 } from "../../contract/address6";
import { Ec2Error } from "./errors";
import type { EniRecord, InstanceRecord } from "./records";
import type { ReservationRecord, SubnetState } from "./subnet-state";
import type { Reservation6Record } from "./subnet6-state";

/** Who the model is: the owner and VPC every view names. */
export interface ViewScope {
  readonly accountId: string;
  readonly vpcId: string;
}

/** EC2 instance state codes. Source: EC2 API reference, InstanceState (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html). */
const STATE_CODES = { pending: 0, running: 16, "shutting-down": 32, terminated: 48 } as const;

export function metadata(requestId: string) {
  return { httpStatusCode: 200, requestId, attempts: 1, totalRetryDelay: 0 };
}

export function tagList(tags: Map<string, string>): Tag[] {
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

/** The tags a create call's TagSpecifications give a resource of `resourceType`. */
export function tagsFromSpecs(specs: TagSpecification[] | undefined, resourceType: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of specs ?? []) {
    if (spec.ResourceType !== undefined && spec.ResourceType !== resourceType) {
      throw new Ec2Error("InvalidParameterValue", `'${spec.ResourceType}' is not a valid taggable resource type for this operation.`);
    }
    for (const t of spec.Tags ?? []) if (t.Key !== undefined) out.set(t.Key, t.Value ?? "");
  }
  return out;
}

/** An ENI as DescribeNetworkInterfaces lists it; `subnet` is the ENI's. */
export function eniView(eni: EniRecord, subnet: SubnetState, scope: ViewScope): NetworkInterface {
  const att = eni.attachment;
  return {
    NetworkInterfaceId: eni.id,
    SubnetId: eni.subnetId,
    VpcId: subnet.vpcId,
    AvailabilityZone: subnet.availabilityZone,
    Description: eni.description,
    Groups: eni.groups.map((GroupId) => ({ GroupId })),
    InterfaceType: "interface",
    MacAddress: eni.mac,
    OwnerId: scope.accountId,
    PrivateIpAddress: intToIp(eni.primaryIp),
    PrivateIpAddresses: [
      { Primary: true, PrivateIpAddress: intToIp(eni.primaryIp) },
      ...eni.secondaryIps.map((ip) => ({ Primary: false, PrivateIpAddress: intToIp(ip) })),
    ],
    // No primary IPv6 (EnablePrimaryIpv6 is not modelled).
    Ipv6Addresses: eni.ipv6s.map((ip) => ({ Ipv6Address: bigToIp6(ip), IsPrimaryIpv6: false })),
    RequesterManaged: false,
    SourceDestCheck: eni.sourceDestCheck,
    // The ENI's status follows its attachment's (assumed mapping onto NetworkInterfaceStatus).
    Status: !att ? "available" : att.status === "attached" ? "in-use" : att.status,
    TagSet: tagList(eni.tags),
    Attachment: att
      ? {
          AttachmentId: att.id,
          DeleteOnTermination: att.deleteOnTermination,
          DeviceIndex: att.deviceIndex,
          NetworkCardIndex: att.networkCardIndex,
          InstanceId: att.instanceId,
          InstanceOwnerId: scope.accountId,
          Status: att.status,
          AttachTime: att.attachTime,
        }
      : undefined,
  };
}

/**
 * An instance as DescribeInstances lists it, with the views of the ENIs attached to it
 * (`attached`, in the model's order) and its primary ENI, if it still exists.
 */
export function instanceView(i: InstanceRecord, attached: readonly NetworkInterface[], primary: EniRecord | undefined, scope: ViewScope): Instance {
  return {
    InstanceId: i.id,
    InstanceType: i.instanceType as never,
    Placement: { AvailabilityZone: i.availabilityZone },
    State: { Code: STATE_CODES[i.state], Name: i.state },
    SubnetId: i.state === "terminated" ? undefined : i.subnetId,
    VpcId: i.state === "terminated" ? undefined : scope.vpcId,
    PrivateIpAddress: primary ? intToIp(primary.primaryIp) : undefined,
    LaunchTime: i.launchTime,
    Tags: tagList(i.tags),
    NetworkInterfaces: attached.map((v) => ({
      NetworkInterfaceId: v.NetworkInterfaceId,
      SubnetId: v.SubnetId,
      VpcId: v.VpcId,
      Description: v.Description,
      Groups: v.Groups?.map((g) => ({ GroupId: g.GroupId })),
      MacAddress: v.MacAddress,
      OwnerId: v.OwnerId,
      PrivateIpAddress: v.PrivateIpAddress,
      PrivateIpAddresses: v.PrivateIpAddresses?.map((p) => ({ Primary: p.Primary, PrivateIpAddress: p.PrivateIpAddress })),
      Ipv6Addresses: v.Ipv6Addresses?.map((a) => ({ Ipv6Address: a.Ipv6Address, IsPrimaryIpv6: a.IsPrimaryIpv6 })),
      SourceDestCheck: v.SourceDestCheck,
      Status: v.Status,
      InterfaceType: v.InterfaceType,
      Attachment: v.Attachment && {
        AttachmentId: v.Attachment.AttachmentId,
        DeleteOnTermination: v.Attachment.DeleteOnTermination,
        DeviceIndex: v.Attachment.DeviceIndex,
        NetworkCardIndex: v.Attachment.NetworkCardIndex,
        Status: v.Attachment.Status,
        AttachTime: v.Attachment.AttachTime,
      },
    })),
  };
}

/** A subnet as DescribeSubnets lists it. */
export function subnetView(s: SubnetState, scope: ViewScope): Subnet {
  return {
    SubnetId: s.id,
    CidrBlock: s.subnet.cidr,
    AvailabilityZone: s.availabilityZone,
    VpcId: s.vpcId,
    State: "available",
    // Usable addresses not held by an interface (reservations do not count as used).
    AvailableIpAddressCount: s.usableCount() - s.usedCount(),
    OwnerId: scope.accountId,
    Ipv6CidrBlockAssociationSet: s.v6 ? [{ AssociationId: `subnet-cidr-assoc-${s.id.slice("subnet-".length)}`, Ipv6CidrBlock: s.v6.subnet.cidr, Ipv6CidrBlockState: { State: "associated" } }] : [],
    AssignIpv6AddressOnCreation: false,
    MapPublicIpOnLaunch: false,
    DefaultForAz: false,
  };
}

export function reservationView(r: ReservationRecord | Reservation6Record, scope: ViewScope): SubnetCidrReservation {
  return {
    SubnetCidrReservationId: r.id,
    SubnetId: r.subnetId,
    Cidr: r.cidr,
    ReservationType: r.type,
    OwnerId: scope.accountId,
    Description: r.description,
    Tags: r.tags,
  };
}
