import type { InstanceLimits } from "../../ipam/capacity";
import type { Timer } from "../clock";

/**
 * Attachment states (EC2 API reference, NetworkInterfaceAttachment Status: attaching |
 * attached | detaching | detached). A detached attachment no longer exists in the model.
 */
export type AttachmentStatus = "attaching" | "attached" | "detaching";

/** What the EC2 model stores per ENI attachment, ENI and instance (addresses as integers). */
export interface AttachmentRecord {
  readonly id: string;
  readonly instanceId: string;
  readonly deviceIndex: number;
  readonly networkCardIndex: number;
  deleteOnTermination: boolean;
  readonly attachTime: Date;
  status: AttachmentStatus;
  /** The pending move to the next status (attaching → attached, detaching → detached). */
  timer?: Timer;
}

export interface EniRecord {
  readonly id: string;
  readonly subnetId: string;
  readonly description: string;
  groups: string[];
  readonly primaryIp: number;
  secondaryIps: number[];
  /** IPv6 addresses (dual-stack subnet), in the order they were assigned. */
  ipv6s: bigint[];
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
  /** Simulated ms until which a pending instance refuses AttachNetworkInterface. */
  readonly refuseAttachUntil: number;
  /** Simulated ms at which it leaves `pending` for `running`. */
  readonly runningAt: number;
}
