import type { InstanceLimits } from "../../ipam/capacity";

/** What the EC2 model stores per ENI attachment, ENI and instance (addresses as integers). */
export interface AttachmentRecord {
  readonly id: string;
  readonly instanceId: string;
  readonly deviceIndex: number;
  deleteOnTermination: boolean;
  readonly attachTime: Date;
}

export interface EniRecord {
  readonly id: string;
  readonly subnetId: string;
  readonly description: string;
  groups: string[];
  readonly primaryIp: number;
  secondaryIps: number[];
  tags: Map<string, string>;
  attachment?: AttachmentRecord;
  sourceDestCheck: boolean;
  readonly mac: string;
}

export interface InstanceRecord {
  readonly id: string;
  readonly instanceType: string;
  readonly limits: InstanceLimits;
  readonly availabilityZone: string;
  readonly subnetId: string;
  state: "pending" | "running" | "shutting-down" | "terminated";
  readonly launchTime: Date;
  tags: Map<string, string>;
  readonly primaryEniId: string;
}
