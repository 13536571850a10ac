import { AUTOSCALING_SERVICE, EC2_SERVICE, QueryService, operationSchema } from "../../../simulator/http/protocol";
import { responseXml, sdkResponseXml } from "../../../simulator/http/xml";
import { SimWorld } from "../../../simulator/world";

describe("response documents", () => {
  test("GIVEN outputs of every shape the simulator answers (nested structures, lists, timestamps, booleans, escaped text, empty results) WHEN written THEN the compiled writer gives the SDK's XmlShapeSerializer's bytes", async () => {
    const world = new SimWorld({ epochMs: Date.UTC(2026, 0, 1) });
    world.ec2World.addImage({ id: "ami-0c0ffee0c0ffee001", name: "eks <node> & \"friends\"\n'1'" });
    const ec2 = (action: string, input: object) => world.ec2Operations.get(action)!(input) as Promise<Record<string, unknown>>;
    const asg = (action: string, input: object) => world.autoScalingOperations.get(action)!(input) as Promise<Record<string, unknown>>;
    const vpc = await ec2("CreateVpc", { CidrBlock: "10.2.0.0/16", TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "a&b", Value: "<x>" }] }] });
    const subnet = await ec2("CreateSubnet", { VpcId: (vpc.Vpc as { VpcId: string }).VpcId, CidrBlock: "10.2.0.0/24" });
    const subnetId = (subnet.Subnet as { SubnetId: string }).SubnetId;
    const sg = await ec2("CreateSecurityGroup", { GroupName: "g", Description: "d", VpcId: (vpc.Vpc as { VpcId: string }).VpcId });
    await ec2("CreateNetworkInterface", { SubnetId: subnetId, Groups: [sg.GroupId], SecondaryPrivateIpAddressCount: 2, TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: "k", Value: "v\r\n" }] }] });
    const lt = await ec2("CreateLaunchTemplate", { LaunchTemplateName: "t", LaunchTemplateData: { ImageId: "ami-0c0ffee0c0ffee001", InstanceType: "t3.medium" } });
    const run = await ec2("RunInstances", { ImageId: "ami-0c0ffee0c0ffee001", MinCount: 1, MaxCount: 1, SubnetId: subnetId });
    await asg("CreateAutoScalingGroup", {
      AutoScalingGroupName: "g",
      MinSize: 0,
      MaxSize: 1,
      DesiredCapacity: 1,
      LaunchTemplate: { LaunchTemplateName: "t" },
      VPCZoneIdentifier: subnetId,
      Tags: [{ Key: "team", Value: "net", PropagateAtLaunch: true }],
    });
    const cases: [QueryService, string, Record<string, unknown>][] = [
      [EC2_SERVICE, "CreateVpc", vpc],
      [EC2_SERVICE, "CreateSubnet", subnet],
      [EC2_SERVICE, "CreateSecurityGroup", sg],
      [EC2_SERVICE, "CreateLaunchTemplate", lt],
      [EC2_SERVICE, "RunInstances", run],
      [EC2_SERVICE, "DescribeNetworkInterfaces", await ec2("DescribeNetworkInterfaces", {})],
      [EC2_SERVICE, "DescribeInstances", await ec2("DescribeInstances", {})],
      [EC2_SERVICE, "DescribeSubnets", await ec2("DescribeSubnets", {})],
      [EC2_SERVICE, "DescribeImages", await ec2("DescribeImages", {})],
      [EC2_SERVICE, "DescribeSecurityGroups", await ec2("DescribeSecurityGroups", {})],
      [EC2_SERVICE, "DescribeInstanceTypes", await ec2("DescribeInstanceTypes", { InstanceTypes: ["c5.2xlarge"] })],
      [EC2_SERVICE, "DeleteNetworkInterface", {}],
      [EC2_SERVICE, "DescribeVpcs", { Vpcs: [] }],
      [AUTOSCALING_SERVICE, "DescribeAutoScalingGroups", await asg("DescribeAutoScalingGroups", {})],
      [AUTOSCALING_SERVICE, "DescribeAutoScalingInstances", await asg("DescribeAutoScalingInstances", {})],
      [AUTOSCALING_SERVICE, "DescribeLifecycleHooks", await asg("DescribeLifecycleHooks", { AutoScalingGroupName: "g" })],
      [AUTOSCALING_SERVICE, "SetDesiredCapacity", {}],
    ];
    for (const [service, action, output] of cases) {
      const schema = operationSchema(service, action)![5];
      const ours = responseXml(service, action, schema, output, "req-1");
      expect(`${action}: ${ours}`).toBe(`${action}: ${sdkResponseXml(service, action, schema, output, "req-1")}`);
    }
    const images = responseXml(EC2_SERVICE, "DescribeImages", operationSchema(EC2_SERVICE, "DescribeImages")![5], await ec2("DescribeImages", {}), "r");
    expect(images).toContain("<name>eks &lt;node&gt; &amp; &quot;friends&quot;&#x0A;&apos;1&apos;</name>");
  });
});
