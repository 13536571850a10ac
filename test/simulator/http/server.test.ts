import {
  AutoScalingClient,
  AutoScalingServiceException,
  CompleteLifecycleActionCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  PutLifecycleHookCommand,
  SetDesiredCapacityCommand,
} from "@aws-sdk/client-auto-scaling";
import {
  AssignIpv6AddressesCommand,
  CreateLaunchTemplateCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCidrReservationCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  EC2ServiceException,
  GetSubnetCidrReservationsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  UnassignIpv6AddressesCommand,
  paginateDescribeNetworkInterfaces,
} from "@aws-sdk/client-ec2";
import { request } from "node:http";
import { contains, ipToInt, parseCidr } from "../../../contract/address";
import type { LifecycleEvent } from "../../../simulator/autoscaling/model";
import { RunningServer, startServer } from "../../../simulator/http/server";
import { autoScalingClient, ec2Client } from "../../../simulator/sdk";
import { SimWorld } from "../../../simulator/world";

/** One raw POST: status and body. */
function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const EC2 = "Version=2016-11-15";
const ASG = "Version=2011-01-01";

describe("the simulator's Query API endpoint", () => {
  const events: LifecycleEvent[] = [];
  const world = new SimWorld({ epochMs: Date.UTC(2026, 0, 1), onEvent: (e) => events.push(e) });
  world.ec2World.addImage({ id: "ami-0c0ffee0c0ffee001", name: "eks-node" });
  let server: RunningServer;
  let ec2: EC2Client;
  let asg: AutoScalingClient;

  beforeAll(async () => {
    server = await startServer({ endpoint: { operations: { ec2: world.ec2Operations, autoscaling: world.autoScalingOperations } } });
    const config = { region: "us-west-2", endpoint: server.url, credentials: { accessKeyId: "AKID", secretAccessKey: "s" }, maxAttempts: 1 };
    ec2 = new EC2Client(config);
    asg = new AutoScalingClient(config);
  });
  afterAll(async () => {
    ec2.destroy();
    asg.destroy();
    await server.close();
  });

  test("GIVEN an empty account WHEN a client builds a VPC, subnets, a reservation, a security group, a launch template and a group with a launch hook THEN the instance waits in Pending:Wait with its event emitted, and CompleteLifecycleAction puts it InService", async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.1.0.0/16" }))).Vpc!.VpcId!;
    const nodes = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: "10.1.0.0/24", AvailabilityZone: "us-west-2b" }))).Subnet!.SubnetId!;
    const multus = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: "10.1.4.0/24", AvailabilityZone: "us-west-2b" }))).Subnet!;
    expect(multus).toMatchObject({ CidrBlock: "10.1.4.0/24", AvailabilityZone: "us-west-2b", VpcId: vpc, AvailableIpAddressCount: 251 });
    await ec2.send(new CreateSubnetCidrReservationCommand({ SubnetId: multus.SubnetId, Cidr: "10.1.4.128/25", ReservationType: "explicit" }));
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "nodes", Description: "nodes", VpcId: vpc }))).GroupId!;
    const lt = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: "ng", LaunchTemplateData: { ImageId: "ami-0c0ffee0c0ffee001", InstanceType: "t3.medium", SecurityGroupIds: [sg] } }))).LaunchTemplate!;
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: "g1",
        MinSize: 0,
        MaxSize: 2,
        DesiredCapacity: 1,
        LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplateId },
        VPCZoneIdentifier: nodes,
        LifecycleHookSpecificationList: [{ LifecycleHookName: "launch", LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING", DefaultResult: "ABANDON", HeartbeatTimeout: 60 }],
      }),
    );
    expect(events.map((e) => [e["detail-type"], e.detail.AutoScalingGroupName, e.detail.LifecycleHookName])).toEqual([["EC2 Instance-launch Lifecycle Action", "g1", "launch"]]);
    const instanceId = events[0]!.detail.EC2InstanceId;
    const waiting = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
    expect(waiting.AutoScalingInstances).toEqual([expect.objectContaining({ InstanceId: instanceId, LifecycleState: "Pending:Wait", AutoScalingGroupName: "g1", HealthStatus: "HEALTHY" })]);
    const inst = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0]!.Instances![0]!;
    expect(inst).toMatchObject({ InstanceType: "t3.medium", SubnetId: nodes, VpcId: vpc, Placement: { AvailabilityZone: "us-west-2b" }, NetworkInterfaces: [expect.objectContaining({ Groups: [{ GroupId: sg }] })] });

    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: "g1", LifecycleHookName: "launch", LifecycleActionToken: events[0]!.detail.LifecycleActionToken, LifecycleActionResult: "CONTINUE" }));
    const group = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["g1"] }))).AutoScalingGroups![0]!;
    expect(group).toMatchObject({ DesiredCapacity: 1, VPCZoneIdentifier: nodes, Instances: [expect.objectContaining({ InstanceId: instanceId, LifecycleState: "InService", HealthStatus: "Healthy" })] });
    // The same action again is over: ValidationError, HTTP 400.
    const again = await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: "g1", LifecycleHookName: "launch", InstanceId: instanceId, LifecycleActionResult: "CONTINUE" })).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AutoScalingServiceException);
    expect(again).toMatchObject({ name: "ValidationError", $metadata: { httpStatusCode: 400 }, Type: "Sender" });

    // DHCP never hands out the reserved half: the other 124 usable addresses (.4-.127) fill up first.
    const reserved = parseCidr("10.1.4.128/25", "r");
    for (let i = 0; i < 124; i++) {
      const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: multus.SubnetId, Groups: [sg] }))).NetworkInterface!;
      expect(contains({ first: reserved.base, last: reserved.last }, ipToInt(eni.PrivateIpAddress!))).toBe(false);
    }
    const full = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: multus.SubnetId })).catch((e: unknown) => e);
    expect(full).toMatchObject({ name: "InsufficientFreeAddressesInSubnet" });

    // Every page, 50 at a time, through the SDK's paginator over HTTP.
    const pages: number[] = [];
    for await (const page of paginateDescribeNetworkInterfaces({ client: ec2, pageSize: 50 }, { Filters: [{ Name: "subnet-id", Values: [multus.SubnetId!] }] })) pages.push(page.NetworkInterfaces!.length);
    expect(pages).toEqual([50, 50, 24]);
  });

  test("GIVEN a taken, an AWS-reserved and an out-of-subnet address WHEN an ENI is created on each THEN EC2's errors come back as EC2ServiceExceptions with their codes and HTTP 400", async () => {
    const subnet = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "cidr-block", Values: ["10.1.0.0/24"] }] }))).Subnets![0]!.SubnetId!;
    await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet, PrivateIpAddress: "10.1.0.50" }));
    const codes = [];
    for (const ip of ["10.1.0.50", "10.1.0.1", "10.1.0.255", "10.1.9.9"]) {
      const err = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet, PrivateIpAddress: ip })).catch((e: unknown) => e)) as EC2ServiceException;
      expect(err).toBeInstanceOf(EC2ServiceException);
      expect(err.$metadata.httpStatusCode).toBe(400);
      codes.push(`${ip} ${err.name}`);
    }
    expect(codes).toEqual(["10.1.0.50 InvalidIPAddress.InUse", "10.1.0.1 InvalidParameterValue", "10.1.0.255 InvalidParameterValue", "10.1.9.9 InvalidParameterValue"]);
  });

  test("GIVEN RunInstances with an extra network interface WHEN the instance is terminated THEN both ENIs go with it", async () => {
    const subnet = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "cidr-block", Values: ["10.1.0.0/24"] }] }))).Subnets![0]!.SubnetId!;
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: "ami-0c0ffee0c0ffee001", InstanceType: "c5.large", MinCount: 1, MaxCount: 1, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet }, { DeviceIndex: 1, SubnetId: subnet, PrivateIpAddress: "10.1.0.60" }] }),
    );
    const inst = run.Instances![0]!;
    expect(inst.NetworkInterfaces!.map((n) => [n.Attachment!.DeviceIndex, n.Attachment!.DeleteOnTermination])).toEqual([
      [0, true],
      [1, true],
    ]);
    const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.InstanceId!] }));
    expect(out.TerminatingInstances).toEqual([expect.objectContaining({ InstanceId: inst.InstanceId, PreviousState: { Code: 16, Name: "running" }, CurrentState: { Code: 48, Name: "terminated" } })]);
    expect(world.ec2.liveAddresses().some((a) => a.ip === "10.1.0.60")).toBe(false);
    const badImage = await ec2.send(new RunInstancesCommand({ ImageId: "ami-0000000000000dead", MinCount: 1, MaxCount: 1, SubnetId: subnet })).catch((e: unknown) => e);
    expect(badImage).toMatchObject({ name: "InvalidAMIID.NotFound" });
    // Amazon's public image every account sees, and the one registered here.
    expect((await ec2.send(new DescribeImagesCommand({}))).Images!.map((i) => i.ImageId)).toEqual(["ami-0c0ffee0c0ffee000", "ami-0c0ffee0c0ffee001"]);
    expect((await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"] }))).Images!.map((i) => [i.ImageId, i.ImageOwnerAlias])).toEqual([["ami-0c0ffee0c0ffee000", "amazon"]]);
  });

  test("GIVEN the same world WHEN read in process and over HTTP THEN the SDK gives the same output both ways", async () => {
    const local = ec2Client(world.ec2Operations);
    const localAsg = autoScalingClient(world.autoScalingOperations);
    const strip = <T extends { $metadata: unknown }>({ $metadata: _m, ...rest }: T) => rest;
    for (const cmd of [new DescribeSubnetsCommand({}), new DescribeInstancesCommand({})]) {
      expect(strip(await local.send(cmd as DescribeSubnetsCommand))).toStrictEqual(strip(await ec2.send(cmd as DescribeSubnetsCommand)));
    }
    const groups = new DescribeAutoScalingGroupsCommand({});
    expect(strip(await localAsg.send(groups))).toStrictEqual(strip(await asg.send(groups)));
  });

  test("GIVEN a group WHEN PutLifecycleHook adds a terminate hook and SetDesiredCapacity scales in THEN the instance waits in Terminating:Wait with its event", async () => {
    await asg.send(new PutLifecycleHookCommand({ AutoScalingGroupName: "g1", LifecycleHookName: "drain", LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING", DefaultResult: "CONTINUE", HeartbeatTimeout: 30 }));
    const before = events.length;
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "g1", DesiredCapacity: 0 }));
    expect(events.slice(before).map((e) => [e["detail-type"], e.detail.LifecycleHookName])).toEqual([["EC2 Instance-terminate Lifecycle Action", "drain"]]);
    const group = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ["g1"] }))).AutoScalingGroups![0]!;
    expect(group.Instances!.map((i) => i.LifecycleState)).toEqual(["Terminating:Wait"]);
    const tooMany = await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: "g1", DesiredCapacity: 3 })).catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ name: "ValidationError", message: "New SetDesiredCapacity value 3 is above max value 2 for the AutoScalingGroup." });
  });

  test("GIVEN requests no client should send WHEN posted raw THEN each gets the service's error document naming the problem, and the server keeps serving", async () => {
    const unknown = await post(server.url, `Action=LaunchRockets&${EC2}`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response><Errors><Error><Code>InvalidAction<\/Code><Message>The action LaunchRockets is not valid for this web service.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
    const missing = await post(server.url, `Action=CreateNetworkInterface&${EC2}`);
    expect([missing.status, /<Code>(.*?)<\/Code><Message>(.*?)<\/Message>/.exec(missing.body)?.slice(1)]).toEqual([400, ["MissingParameter", "The request must contain the parameter SubnetId"]]);
    const malformed = await post(server.url, `Action=DescribeNetworkInterfaces&${EC2}&MaxResults=lots`);
    expect(/<Code>(.*?)<\/Code><Message>(.*?)<\/Message>/.exec(malformed.body)?.slice(1)).toEqual(["InvalidParameterValue", "Value (lots) for parameter MaxResults is invalid. Expected a number."]);
    const extra = await post(server.url, `Action=DescribeSubnets&${EC2}&Colour=blue`);
    expect(/<Code>(.*?)<\/Code>/.exec(extra.body)?.[1]).toBe("UnknownParameter");
    const asgMissing = await post(server.url, `Action=SetDesiredCapacity&${ASG}&AutoScalingGroupName=g1`);
    expect(asgMissing.status).toBe(400);
    expect(asgMissing.body).toMatch(/<ErrorResponse xmlns="http:\/\/autoscaling.amazonaws.com\/doc\/2011-01-01\/"><Error><Type>Sender<\/Type><Code>MissingParameter<\/Code><Message>The request must contain the parameter DesiredCapacity<\/Message><\/Error><RequestId>/);
    expect((await post(server.url, "Version=2016-11-15")).body).toContain("<Code>MissingAction</Code>");
    expect((await post(server.url, "Action=DescribeSubnets")).body).toContain("<Code>MissingParameter</Code><Message>The request must contain the parameter Version</Message>");
    expect((await post(server.url, `Action=DescribeSubnets&${EC2}&Filter.1.Name=x&Filter.1.Name=y`)).status).toBe(400);
    expect((await post(server.url, "%%%&&&==")).status).toBe(400);
    const ok = await post(server.url, `Action=DescribeSubnets&${EC2}&Filter.1.Name=cidr-block&Filter.1.Value.1=10.1.4.0/24`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><DescribeSubnetsResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><subnetSet><item>/);
    expect(ok.body).toContain("<cidrBlock>10.1.4.0/24</cidrBlock>");
  });
});

describe("the Query API endpoint on a dual-stack subnet", () => {
  test("GIVEN a subnet with an IPv6 /64 WHEN a client reserves IPv6, creates ENIs with given and counted IPv6 addresses and assigns and unassigns one THEN every IPv6 member travels the Query protocol both ways", async () => {
    const world = new SimWorld({ epochMs: Date.UTC(2026, 0, 1) });
    const id = world.ec2World.addSubnet({ cidr: "10.0.4.0/24", ipv6Cidr: "2001:db8::/64", availabilityZone: "us-west-2a" });
    const server = await startServer({ endpoint: { operations: { ec2: world.ec2Operations, autoscaling: world.autoScalingOperations } } });
    const ec2 = new EC2Client({ region: "us-west-2", endpoint: server.url, credentials: { accessKeyId: "AKID", secretAccessKey: "s" }, maxAttempts: 1 });
    try {
      await ec2.send(new CreateSubnetCidrReservationCommand({ SubnetId: id, Cidr: "2001:db8::4000:0:0:0/66", ReservationType: "explicit" }));
      const given = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: id, Ipv6Addresses: [{ Ipv6Address: "2001:db8::8000:0:0:1" }] }))).NetworkInterface!;
      expect(given.Ipv6Addresses).toEqual([{ Ipv6Address: "2001:db8::8000:0:0:1", IsPrimaryIpv6: false }]);
      const counted = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: id, Ipv6AddressCount: 1 }))).NetworkInterface!;
      expect(counted.Ipv6Addresses).toHaveLength(1);
      const assigned = await ec2.send(new AssignIpv6AddressesCommand({ NetworkInterfaceId: given.NetworkInterfaceId, Ipv6Addresses: ["2001:db8::4000:0:0:5"] }));
      expect(assigned.AssignedIpv6Addresses).toEqual(["2001:db8::4000:0:0:5"]);
      await ec2.send(new UnassignIpv6AddressesCommand({ NetworkInterfaceId: given.NetworkInterfaceId, Ipv6Addresses: ["2001:db8::4000:0:0:5"] }));
      expect((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets![0]!.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlock).toBe("2001:db8::/64");
      expect((await ec2.send(new GetSubnetCidrReservationsCommand({ SubnetId: id }))).SubnetIpv6CidrReservations!.map((r) => r.Cidr)).toEqual(["2001:db8:0:0:4000::/66"]);
    } finally {
      ec2.destroy();
      await server.close();
    }
  });
});
