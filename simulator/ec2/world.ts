import type {
  CreateLaunchTemplateCommandInput,
  CreateSecurityGroupCommandInput,
  CreateSubnetCommandInput,
  CreateTagsCommandInput,
  CreateVpcCommandInput,
  DescribeImagesCommandInput,
  DescribeLaunchTemplatesCommandInput,
  DescribeSecurityGroupsCommandInput,
  DescribeVpcsCommandInput,
  Image,
  Instance,
  LaunchTemplate,
  RequestLaunchTemplateData,
  RunInstancesCommandInput,
  SecurityGroup,
  Subnet as SdkSubnet,
  Tag,
  TagSpecification,
  TerminateInstancesCommandInput,
  Vpc,
} from "@aws-sdk/client-ec2";
import { parseCidr } from "../../contract/address";
import { PlanError } from "../../contract/errors";
import { instanceLimits } from "../../ipam/capacity";
import { Operation, ec2Operations } from "../operations";
import { paged } from "../paging";
import { Ec2Error } from "./errors";
import { FilterFields, matchFilters, tagFields } from "./filters";
import type { Ec2Model } from "./model";
import { Rng, seededRandom } from "../rng";
import { draw } from "../timing";

/** The launch parameters a launch template holds, as RunInstances and Auto Scaling read them. */
export interface LaunchTemplateRecord {
  readonly id: string;
  readonly name: string;
  readonly data: RequestLaunchTemplateData;
  readonly createTime: Date;
  readonly tags: Tag[];
}

interface VpcRecord {
  readonly id: string;
  readonly cidr: string;
  readonly tags: Map<string, string>;
}

interface GroupRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly vpcId: string;
  readonly tags: Map<string, string>;
}

export interface ImageSpec {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  /** @default "x86_64" */
  readonly architecture?: "x86_64" | "arm64";
  /** Owner account. @default the model's account */
  readonly ownerId?: string;
  /** e.g. "amazon" for Amazon's public images (DescribeImages Owners takes it). */
  readonly ownerAlias?: string;
}

/** An image every account can launch, as Amazon's public AMIs are. */
export const PUBLIC_IMAGE: ImageSpec = { id: "ami-0c0ffee0c0ffee000", name: "al2023-ami-2023-kernel-6.1-x86_64 (simulated)", ownerId: "137112412989", ownerAlias: "amazon" };

export interface Ec2WorldOptions {
  /** Seed of the world's own draws (shutdown durations). @default 1 */
  readonly seed?: number;
  /** The model's own VPC's CIDR. @default "10.0.0.0/16" */
  readonly vpcCidr?: string;
  /**
   * Simulated ms an instance terminated by TerminateInstances spends shutting down (on the
   * model's clock). @default drawn from the model's timing profile (shutdownMs)
   */
  readonly terminationDelayMs?: number;
}

const VPC_PREFIX = { min: 16, max: 28 };

/**
 * Tag keys starting with `aws:` are AWS's own (EC2 user guide, "Tag restrictions"): a client
 * cannot set them, so nobody can make an instance look like an Auto Scaling group member.
 */
function userTags(specs: TagSpecification[] | Tag[] | undefined, resourceType?: string): Map<string, string> {
  const out = new Map<string, string>();
  const tags: Tag[] = [];
  for (const s of specs ?? []) {
    if ("ResourceType" in s || "Tags" in s) {
      const spec = s as TagSpecification;
      if (resourceType !== undefined && spec.ResourceType !== undefined && spec.ResourceType !== resourceType) continue;
      tags.push(...(spec.Tags ?? []));
    } else tags.push(s as Tag);
  }
  for (const t of tags) {
    if (t.Key === undefined) continue;
    if (t.Key.toLowerCase().startsWith("aws:")) throw new Ec2Error("InvalidParameterValue", `Tag keys starting with 'aws:' are reserved for internal use (${t.Key})`);
    out.set(t.Key, t.Value ?? "");
  }
  return out;
}

function tagList(tags: Map<string, string>): Tag[] {
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

function withTags<T>(fields: FilterFields<T>, tags: (item: T) => Tag[] | undefined): FilterFields<T> {
  return (name) => fields(name) ?? tagFields(name, (item: T) => new Map((tags(item) ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])));
}

const vpcFilter: FilterFields<Vpc> = withTags((name) => {
  if (name === "vpc-id") return (v) => [v.VpcId ?? ""];
  if (name === "cidr" || name === "cidr-block-association.cidr-block") return (v) => [v.CidrBlock ?? ""];
  if (name === "state") return (v) => [v.State ?? ""];
  if (name === "is-default") return (v) => [String(v.IsDefault ?? false)];
  return undefined;
}, (v) => v.Tags);

const groupFilter: FilterFields<SecurityGroup> = withTags((name) => {
  if (name === "group-id") return (g) => [g.GroupId ?? ""];
  if (name === "group-name") return (g) => [g.GroupName ?? ""];
  if (name === "vpc-id") return (g) => [g.VpcId ?? ""];
  if (name === "description") return (g) => [g.Description ?? ""];
  return undefined;
}, (g) => g.Tags);

const imageFilter: FilterFields<Image> = withTags((name) => {
  if (name === "image-id") return (i) => [i.ImageId ?? ""];
  if (name === "name") return (i) => [i.Name ?? ""];
  if (name === "owner-id") return (i) => [i.OwnerId ?? ""];
  if (name === "state") return (i) => [i.State ?? ""];
  if (name === "architecture") return (i) => [i.Architecture ?? ""];
  return undefined;
}, (i) => i.Tags);

function hex(n: number): string {
  return n.toString(16).padStart(17, "0");
}

/**
 * The rest of an EC2 account around the EC2 model: VPCs, security groups, launch templates,
 * images, and instances launched with RunInstances (foreign to any Auto Scaling group).
 *
 * Documented behaviour it follows (EC2 API reference, each action's page; error codes from
 * "Error codes for the Amazon EC2 API"):
 * - A VPC or subnet is a /16 to /28; a subnet lies inside its VPC and overlaps no other
 *   subnet of it (InvalidSubnet.Range, InvalidSubnet.Conflict).
 * - Security group names are unique per VPC (InvalidGroup.Duplicate); an unknown group is
 *   InvalidGroup.NotFound wherever one is named.
 * - Launch template names are unique (InvalidLaunchTemplateName.AlreadyExistsException).
 * - RunInstances launches MinCount..MaxCount instances or none; the image must exist
 *   (InvalidAMIID.NotFound); launch-time network interfaces beyond device 0 are created in
 *   their subnet and deleted with the instance (DeleteOnTermination defaults to true for them).
 * - TerminateInstances puts instances in `shutting-down`, then `terminated`.
 * Modelling choices: every VPC has the model's DHCP behaviour; images are registered by the
 * simulator, not by clients; one reservation per instance in DescribeInstances.
 */
export class Ec2World {
  private readonly vpcs = new Map<string, VpcRecord>();
  private readonly groups = new Map<string, GroupRecord>();
  private readonly templates = new Map<string, LaunchTemplateRecord>();
  private readonly images = new Map<string, ImageSpec>();
  private readonly subnetTags = new Map<string, Map<string, string>>();
  /** Instances shutting down after TerminateInstances (they become terminated on the clock). */
  private readonly shuttingDown = new Set<string>();
  private ids = 0;
  private readonly rng: Rng;

  constructor(
    readonly model: Ec2Model,
    private readonly opts: Ec2WorldOptions = {},
  ) {
    this.rng = seededRandom(opts.seed ?? 1);
    this.vpcs.set(model.vpcId, { id: model.vpcId, cidr: parseCidr(opts.vpcCidr ?? "10.0.0.0/16", "vpcCidr").cidr, tags: new Map() });
  }

  // ---------------------------------------------------------------- setup (not API calls)

  addVpc(input: { cidr: string; id?: string; tags?: Map<string, string> }): string {
    const range = this.checkBlock(input.cidr, "InvalidVpc.Range");
    const id = input.id ?? `vpc-${hex(++this.ids)}`;
    if (this.vpcs.has(id)) throw new Ec2Error("InvalidParameterValue", `VPC ${id} already exists`);
    this.vpcs.set(id, { id, cidr: range.cidr, tags: input.tags ?? new Map() });
    return id;
  }

  /** A subnet of `vpcId`, with AWS's checks; model errors come back as EC2's codes. */
  addSubnet(input: { cidr: string; availabilityZone: string; vpcId?: string; id?: string; ipv6Cidr?: string; tags?: Map<string, string> }): string {
    const vpc = this.vpc(input.vpcId ?? this.model.vpcId);
    const range = this.checkBlock(input.cidr, "InvalidSubnet.Range");
    const outer = parseCidr(vpc.cidr, "vpc");
    if (range.base < outer.base || range.last > outer.last) throw new Ec2Error("InvalidSubnet.Range", `The CIDR '${input.cidr}' is invalid.`);
    let subnetId: string;
    try {
      subnetId = this.model.addSubnet({ cidr: range.cidr, availabilityZone: input.availabilityZone, vpcId: vpc.id, ...(input.id ? { id: input.id } : {}), ...(input.ipv6Cidr !== undefined ? { ipv6Cidr: input.ipv6Cidr } : {}) }).subnetId;
    } catch (err) {
      if (err instanceof PlanError && err.field === "cidr") throw new Ec2Error("InvalidSubnet.Conflict", `The CIDR '${range.cidr}' conflicts with another subnet`);
      throw err;
    }
    this.subnetTags.set(subnetId, input.tags ?? new Map());
    return subnetId;
  }

  addSecurityGroup(input: { name: string; description: string; vpcId?: string; id?: string; tags?: Map<string, string> }): string {
    const vpc = this.vpc(input.vpcId ?? this.model.vpcId);
    for (const g of this.groups.values()) {
      if (g.vpcId === vpc.id && g.name === input.name) throw new Ec2Error("InvalidGroup.Duplicate", `The security group '${input.name}' already exists for VPC '${vpc.id}'`);
    }
    const id = input.id ?? `sg-${hex(++this.ids)}`;
    this.groups.set(id, { id, name: input.name, description: input.description, vpcId: vpc.id, tags: input.tags ?? new Map() });
    return id;
  }

  addImage(image: ImageSpec): void {
    this.images.set(image.id, image);
  }

  addLaunchTemplate(input: { name: string; data: RequestLaunchTemplateData; id?: string; tags?: Tag[] }): LaunchTemplateRecord {
    for (const t of this.templates.values()) {
      if (t.name === input.name) throw new Ec2Error("InvalidLaunchTemplateName.AlreadyExistsException", `Launch template name already in use.`);
    }
    this.checkGroups(input.data.SecurityGroupIds);
    if (input.data.InstanceType !== undefined) this.checkInstanceType(input.data.InstanceType, "LaunchTemplateData.InstanceType");
    const rec: LaunchTemplateRecord = { id: input.id ?? `lt-${hex(++this.ids)}`, name: input.name, data: input.data, createTime: this.model.wallTime(), tags: input.tags ?? [] };
    this.templates.set(rec.id, rec);
    return rec;
  }

  /** A launch template by id or name, with the EC2 error for one that does not exist. */
  launchTemplate(ref: { LaunchTemplateId?: string; LaunchTemplateName?: string }): LaunchTemplateRecord {
    if (ref.LaunchTemplateId !== undefined) {
      const t = this.templates.get(ref.LaunchTemplateId);
      if (!t) throw new Ec2Error("InvalidLaunchTemplateId.NotFound", `The specified launch template, with template ID ${ref.LaunchTemplateId}, does not exist.`);
      return t;
    }
    const t = [...this.templates.values()].find((x) => x.name === ref.LaunchTemplateName);
    if (!t) throw new Ec2Error("InvalidLaunchTemplateName.NotFoundException", `The specified launch template, with template name ${String(ref.LaunchTemplateName)}, does not exist.`);
    return t;
  }

  /** Every action the EC2 endpoint serves: the model's and the world's. */
  operations(): Map<string, Operation> {
    const ops = ec2Operations(this.model);
    const describeSubnets = ops.get("DescribeSubnets")!;
    const createNetworkInterface = ops.get("CreateNetworkInterface")!;
    const createTags = ops.get("CreateTags")!;
    const add = (name: string, fn: Operation) => ops.set(name, fn);
    add("CreateVpc", (i) => this.createVpc(i));
    add("DescribeVpcs", paged((i) => this.describeVpcs(i), { items: "Vpcs", sizeParam: "MaxResults", min: 5, max: 1000, ids: "VpcIds", service: "ec2" }));
    add("CreateSubnet", (i) => this.createSubnet(i));
    // Subnets carry the tags CreateSubnet or CreateTags gave them.
    add(
      "DescribeSubnets",
      paged(
        async (i) => {
          const out = (await describeSubnets(i)) as { Subnets?: SdkSubnet[] };
          return { ...out, Subnets: (out.Subnets ?? []).map((s) => ({ ...s, Tags: tagList(this.subnetTags.get(s.SubnetId!) ?? new Map()) })) };
        },
        { items: "Subnets", sizeParam: "MaxResults", min: 5, max: 1000, ids: "SubnetIds", service: "ec2" },
      ),
    );
    ops.set("GetSubnetCidrReservations", paged(ops.get("GetSubnetCidrReservations")!, { items: "SubnetIpv4CidrReservations", sizeParam: "MaxResults", min: 5, max: 1000, service: "ec2" }));
    add("CreateSecurityGroup", (i) => this.createSecurityGroup(i));
    add("DescribeSecurityGroups", paged((i) => this.describeSecurityGroups(i), { items: "SecurityGroups", sizeParam: "MaxResults", min: 5, max: 1000, ids: "GroupIds", service: "ec2" }));
    add("CreateLaunchTemplate", (i) => this.createLaunchTemplate(i));
    add("DescribeLaunchTemplates", paged((i) => this.describeLaunchTemplates(i), { items: "LaunchTemplates", sizeParam: "MaxResults", min: 1, max: 200, ids: "LaunchTemplateIds", service: "ec2" }));
    add("DescribeImages", paged((i) => this.describeImages(i), { items: "Images", sizeParam: "MaxResults", min: 5, max: 1000, ids: "ImageIds", service: "ec2" }));
    add("RunInstances", (i) => this.runInstances(i));
    add("TerminateInstances", (i) => this.terminateInstances(i));
    add("CreateNetworkInterface", (i: { Groups?: string[] }) => {
      this.checkGroups(i.Groups);
      return createNetworkInterface(i);
    });
    add("CreateTags", (i) => this.createTags(i, createTags));
    return ops;
  }

  // ---------------------------------------------------------------- API actions

  async createVpc(input: CreateVpcCommandInput) {
    if (!input.CidrBlock) throw new Ec2Error("MissingParameter", "The request must contain the parameter CidrBlock");
    const id = this.addVpc({ cidr: input.CidrBlock, tags: userTags(input.TagSpecifications, "vpc") });
    return { Vpc: this.vpcView(this.vpcs.get(id)!) };
  }

  async describeVpcs(input: DescribeVpcsCommandInput = {}) {
    const ids = input.VpcIds?.length ? input.VpcIds : [...this.vpcs.keys()];
    const list = ids.map((id) => this.vpc(id)).map((v) => this.vpcView(v)).filter((v) => matchFilters(v, input.Filters, vpcFilter));
    return { Vpcs: list };
  }

  async createSubnet(input: CreateSubnetCommandInput) {
    if (!input.VpcId) throw new Ec2Error("MissingParameter", "The request must contain the parameter VpcId");
    if (!input.CidrBlock) throw new Ec2Error("MissingParameter", "The request must contain the parameter CidrBlock");
    const az = input.AvailabilityZone ?? `${this.model.region}a`;
    if (!new RegExp(`^${this.model.region}[a-f]$`).test(az)) {
      throw new Ec2Error("InvalidParameterValue", `Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${"abcdef".split("").map((l) => this.model.region + l).join(", ")}.`);
    }
    const tags = userTags(input.TagSpecifications, "subnet");
    const subnetId = this.addSubnet({ cidr: input.CidrBlock, availabilityZone: az, vpcId: input.VpcId, tags });
    const out = (await this.model.describeSubnets({ SubnetIds: [subnetId] })).Subnets![0]!;
    return { Subnet: { ...out, Tags: tagList(tags) } };
  }

  async createSecurityGroup(input: CreateSecurityGroupCommandInput) {
    if (!input.GroupName) throw new Ec2Error("MissingParameter", "The request must contain the parameter GroupName");
    if (!input.Description) throw new Ec2Error("MissingParameter", "The request must contain the parameter GroupDescription");
    const tags = userTags(input.TagSpecifications, "security-group");
    const id = this.addSecurityGroup({ name: input.GroupName, description: input.Description, ...(input.VpcId ? { vpcId: input.VpcId } : {}), tags });
    return { GroupId: id, Tags: tagList(tags), SecurityGroupArn: `arn:aws:ec2:${this.model.region}:${this.model.accountId}:security-group/${id}` };
  }

  async describeSecurityGroups(input: DescribeSecurityGroupsCommandInput = {}) {
    let list = [...this.groups.values()];
    if (input.GroupIds?.length) list = input.GroupIds.map((id) => this.group(id));
    if (input.GroupNames?.length) {
      list = input.GroupNames.map((n) => {
        const g = list.find((x) => x.name === n && x.vpcId === this.model.vpcId) ?? list.find((x) => x.name === n);
        if (!g) throw new Ec2Error("InvalidGroup.NotFound", `The security group '${n}' does not exist`);
        return g;
      });
    }
    const views = list.map((g) => this.groupView(g)).filter((g) => matchFilters(g, input.Filters, groupFilter));
    return { SecurityGroups: views };
  }

  async createLaunchTemplate(input: CreateLaunchTemplateCommandInput) {
    if (!input.LaunchTemplateName) throw new Ec2Error("MissingParameter", "The request must contain the parameter LaunchTemplateName");
    if (!input.LaunchTemplateData) throw new Ec2Error("MissingParameter", "The request must contain the parameter LaunchTemplateData");
    const tags = tagList(userTags(input.TagSpecifications, "launch-template"));
    const rec = this.addLaunchTemplate({ name: input.LaunchTemplateName, data: input.LaunchTemplateData, tags });
    return { LaunchTemplate: this.templateView(rec) };
  }

  async describeLaunchTemplates(input: DescribeLaunchTemplatesCommandInput = {}) {
    let list = [...this.templates.values()];
    if (input.LaunchTemplateIds?.length) list = input.LaunchTemplateIds.map((id) => this.launchTemplate({ LaunchTemplateId: id }));
    if (input.LaunchTemplateNames?.length) list = input.LaunchTemplateNames.map((n) => this.launchTemplate({ LaunchTemplateName: n }));
    return { LaunchTemplates: list.map((t) => this.templateView(t)) };
  }

  async describeImages(input: DescribeImagesCommandInput = {}) {
    let list = [...this.images.values()];
    if (input.ImageIds?.length) list = input.ImageIds.map((id) => this.image(id));
    const views = list.map((i) => this.imageView(i)).filter((i) => matchFilters(i, input.Filters, imageFilter));
    // Owners: account ids, "self", or an alias such as "amazon" (API reference, DescribeImages).
    const owners = input.Owners ?? [];
    const owned = (i: Image) => owners.includes(i.OwnerId!) || (!!i.ImageOwnerAlias && owners.includes(i.ImageOwnerAlias)) || (owners.includes("self") && i.OwnerId === this.model.accountId);
    return { Images: owners.length ? views.filter(owned) : views };
  }

  /**
   * RunInstances: from the request and the launch template it names (the request wins),
   * MaxCount instances if the subnet holds them, at least MinCount, else none.
   */
  async runInstances(input: RunInstancesCommandInput) {
    const lt = input.LaunchTemplate ? this.launchTemplate(input.LaunchTemplate) : undefined;
    const data = lt?.data ?? {};
    const min = input.MinCount;
    const max = input.MaxCount;
    if (min === undefined) throw new Ec2Error("MissingParameter", "The request must contain the parameter MinCount");
    if (max === undefined) throw new Ec2Error("MissingParameter", "The request must contain the parameter MaxCount");
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
      throw new Ec2Error("InvalidParameterValue", `MinCount (${min}) and MaxCount (${max}) must be whole numbers with 1 <= MinCount <= MaxCount`);
    }
    const imageId = input.ImageId ?? data.ImageId;
    if (!imageId) throw new Ec2Error("MissingParameter", "The request must contain the parameter ImageId");
    this.image(imageId);
    const instanceType = String(input.InstanceType ?? data.InstanceType ?? "m1.small");
    this.checkInstanceType(instanceType, "InstanceType");
    const nics = input.NetworkInterfaces ?? (data.NetworkInterfaces as RunInstancesCommandInput["NetworkInterfaces"]) ?? [];
    const primaryNic = nics.find((n) => (n.DeviceIndex ?? 0) === 0);
    const extraNics = nics.filter((n) => n !== primaryNic).sort((a, b) => (a.DeviceIndex ?? 0) - (b.DeviceIndex ?? 0));
    if (nics.length && (input.SubnetId || input.PrivateIpAddress || input.SecurityGroupIds?.length)) {
      throw new Ec2Error("InvalidParameterCombination", "Network interfaces and an instance-level subnet ID, private IP address or security groups may not be specified on the same request");
    }
    const subnetId = primaryNic?.SubnetId ?? input.SubnetId;
    if (!subnetId) throw new Ec2Error("MissingParameter", "The request must contain the parameter SubnetId (the simulator has no default subnet)");
    const privateIp = primaryNic?.PrivateIpAddress ?? input.PrivateIpAddress;
    if (privateIp !== undefined && max > 1) throw new Ec2Error("InvalidParameterCombination", "A private IP address can be given only when launching one instance (MaxCount 1)");
    const groups = primaryNic?.Groups ?? input.SecurityGroupIds ?? data.SecurityGroupIds ?? [];
    this.checkGroups(groups);
    for (const n of extraNics) this.checkGroups(n.Groups);
    const tagSpecs = [...(data.TagSpecifications ?? []), ...(input.TagSpecifications ?? [])] as TagSpecification[];
    const tags = Object.fromEntries(userTags(tagSpecs, "instance"));
    const instances: Instance[] = [];
    const launched: string[] = [];
    try {
      for (let k = 0; k < max; k++) {
        let id: string;
        try {
          id = this.model.launchInstance({ instanceType, subnetId, tags, securityGroupIds: groups, ...(privateIp !== undefined ? { privateIpAddress: privateIp } : {}) }).instanceId;
        } catch (err) {
          if (err instanceof Ec2Error && err.Code === "InsufficientFreeAddressesInSubnet" && launched.length >= min) break;
          throw err;
        }
        launched.push(id);
        for (const n of extraNics) await this.attachAtLaunch(id, n);
      }
    } catch (err) {
      for (const id of launched) this.model.terminateInstance(id);
      throw err;
    }
    for (const id of launched) instances.push(this.model.instanceDescription(id)!);
    return { ReservationId: `r-${launched[0]!.slice(2)}`, OwnerId: this.model.accountId, Groups: [], Instances: instances };
  }

  async terminateInstances(input: TerminateInstancesCommandInput) {
    const ids = input.InstanceIds ?? [];
    if (!ids.length) throw new Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
    const before = ids.map((id) => {
      const state = this.model.instanceState(id);
      if (!state) throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
      return state;
    });
    const code = { pending: 0, running: 16, "shutting-down": 32, terminated: 48 } as const;
    const out = ids.map((id, k) => {
      if (before[k] !== "terminated" && !this.shuttingDown.has(id)) this.shutDown(id);
      return { InstanceId: id, PreviousState: { Code: code[before[k]!], Name: before[k] }, CurrentState: { Code: 0, Name: "" } };
    });
    for (const o of out) {
      const s = this.model.instanceState(o.InstanceId)!;
      o.CurrentState = { Code: code[s], Name: s };
    }
    return { TerminatingInstances: out };
  }

  private async createTags(input: CreateTagsCommandInput, modelCreateTags: Operation) {
    const resources = input.Resources ?? [];
    const tags = userTags(input.Tags);
    const rest: string[] = [];
    for (const id of resources) {
      const target = id.startsWith("vpc-") ? this.vpc(id).tags : id.startsWith("sg-") ? this.group(id).tags : id.startsWith("subnet-") ? this.subnetTagsOf(id) : undefined;
      if (target) for (const [k, v] of tags) target.set(k, v);
      else rest.push(id);
    }
    if (rest.length) return modelCreateTags({ ...input, Resources: rest });
    return {};
  }

  // ---------------------------------------------------------------- internals

  /** `shutting-down` now, `terminated` once the shutdown's time has passed on the clock. */
  private shutDown(id: string): void {
    const delay = this.opts.terminationDelayMs ?? draw(this.model.timing.shutdownMs, this.rng);
    if (delay <= 0) {
      this.model.terminateInstance(id);
      return;
    }
    this.model.beginTermination(id);
    this.shuttingDown.add(id);
    this.model.clock.setTimer(
      delay,
      () => {
        this.shuttingDown.delete(id);
        this.model.terminateInstance(id);
      },
      `${id}:terminated`,
    );
  }

  private async attachAtLaunch(instanceId: string, n: NonNullable<RunInstancesCommandInput["NetworkInterfaces"]>[number]): Promise<void> {
    let eniId = n.NetworkInterfaceId;
    if (!eniId) {
      const created = await this.model.createNetworkInterface({
        SubnetId: n.SubnetId,
        ...(n.PrivateIpAddress ? { PrivateIpAddress: n.PrivateIpAddress } : {}),
        ...(n.Groups ? { Groups: n.Groups } : {}),
        ...(n.Description ? { Description: n.Description } : {}),
        ...(n.SecondaryPrivateIpAddressCount ? { SecondaryPrivateIpAddressCount: n.SecondaryPrivateIpAddressCount } : {}),
      });
      eniId = created.NetworkInterface!.NetworkInterfaceId!;
    }
    // Part of the launch: attached with the instance, not a later attach the pending instance refuses.
    this.model.attachAtLaunch({ eniId, instanceId, deviceIndex: n.DeviceIndex ?? 1, networkCardIndex: n.NetworkCardIndex ?? 0, deleteOnTermination: n.DeleteOnTermination ?? !n.NetworkInterfaceId });
  }

  private checkBlock(cidr: string, code: string) {
    let range;
    try {
      range = parseCidr(cidr, "CidrBlock");
    } catch {
      throw new Ec2Error("InvalidParameterValue", `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    }
    if (range.prefix < VPC_PREFIX.min || range.prefix > VPC_PREFIX.max) throw new Ec2Error(code, `The CIDR '${cidr}' is invalid.`);
    return range;
  }

  private checkGroups(ids: readonly string[] | undefined): void {
    for (const id of ids ?? []) this.group(id);
  }

  private checkInstanceType(type: string, param: string): void {
    try {
      instanceLimits(type, param);
    } catch {
      throw new Ec2Error("InvalidParameterValue", `Invalid value '${type}' for ${param}. The simulator knows the instance types of ipam/eni-limits.json.`);
    }
  }

  private vpc(id: string): VpcRecord {
    const v = this.vpcs.get(id);
    if (!v) throw new Ec2Error("InvalidVpcID.NotFound", `The vpc ID '${id}' does not exist`);
    return v;
  }

  private group(id: string): GroupRecord {
    const g = this.groups.get(id);
    if (!g) throw new Ec2Error("InvalidGroup.NotFound", `The security group '${id}' does not exist`);
    return g;
  }

  private image(id: string): ImageSpec {
    if (!/^ami-[0-9a-f]{8,17}$/.test(id)) throw new Ec2Error("InvalidAMIID.Malformed", `Invalid id: "${id}" (expecting "ami-...")`);
    const i = this.images.get(id);
    if (!i) throw new Ec2Error("InvalidAMIID.NotFound", `The image id '[${id}]' does not exist`);
    return i;
  }

  private subnetTagsOf(id: string): Map<string, string> {
    if (!this.model.subnetIds().includes(id)) throw new Ec2Error("InvalidSubnetID.NotFound", `The subnet ID '${id}' does not exist`);
    let t = this.subnetTags.get(id);
    if (!t) this.subnetTags.set(id, (t = new Map()));
    return t;
  }

  private vpcView(v: VpcRecord): Vpc {
    return {
      VpcId: v.id,
      CidrBlock: v.cidr,
      State: "available",
      OwnerId: this.model.accountId,
      InstanceTenancy: "default",
      IsDefault: false,
      DhcpOptionsId: "dopt-0c0ffee0c0ffee001",
      CidrBlockAssociationSet: [{ AssociationId: `vpc-cidr-assoc-${v.id.slice(4)}`, CidrBlock: v.cidr, CidrBlockState: { State: "associated" } }],
      Tags: tagList(v.tags),
    };
  }

  private groupView(g: GroupRecord): SecurityGroup {
    return {
      GroupId: g.id,
      GroupName: g.name,
      Description: g.description,
      VpcId: g.vpcId,
      OwnerId: this.model.accountId,
      IpPermissions: [],
      // A new group allows all outbound traffic (VPC user guide, "Default security group rules").
      IpPermissionsEgress: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }],
      Tags: tagList(g.tags),
      SecurityGroupArn: `arn:aws:ec2:${this.model.region}:${this.model.accountId}:security-group/${g.id}`,
    };
  }

  private templateView(t: LaunchTemplateRecord): LaunchTemplate {
    return {
      LaunchTemplateId: t.id,
      LaunchTemplateName: t.name,
      CreateTime: t.createTime,
      CreatedBy: `arn:aws:iam::${this.model.accountId}:user/simulator`,
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
      Tags: t.tags,
    };
  }

  private imageView(i: ImageSpec): Image {
    return {
      ImageId: i.id,
      Name: i.name,
      Description: i.description,
      State: "available",
      Architecture: i.architecture ?? "x86_64",
      ImageType: "machine",
      OwnerId: i.ownerId ?? this.model.accountId,
      ...(i.ownerAlias ? { ImageOwnerAlias: i.ownerAlias } : {}),
      Public: i.ownerAlias !== undefined,
      RootDeviceType: "ebs",
      RootDeviceName: "/dev/xvda",
      VirtualizationType: "hvm",
      Hypervisor: "xen",
      EnaSupport: true,
      PlatformDetails: "Linux/UNIX",
      CreationDate: "2026-01-01T00:00:00.000Z",
    };
  }
}
