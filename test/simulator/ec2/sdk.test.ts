import { CreateNetworkInterfaceCommand, DescribeNetworkInterfacesCommand, EC2ServiceException, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { AutoScalingServiceException, CompleteLifecycleActionCommand } from "@aws-sdk/client-auto-scaling";
import { AutoScalingModel } from "../../../simulator/autoscaling/model";
import { Ec2Model } from "../../../simulator/ec2/model";
import { SdkCall, autoScalingClient, ec2Client } from "../../../simulator/sdk";

function setup() {
  const ec2 = new Ec2Model({ seed: 1 });
  const { subnetId } = ec2.addSubnet({ cidr: "10.0.4.0/24", availabilityZone: "us-west-2a" });
  const nodes = ec2.addSubnet({ cidr: "10.0.0.0/24", availabilityZone: "us-west-2a" });
  return { ec2, subnetId, nodeSubnet: nodes.subnetId };
}

describe("ec2Client", () => {
  test("GIVEN real SDK command objects WHEN sent THEN the model runs them and answers in the SDK's output shape", async () => {
    const { ec2, subnetId } = setup();
    const client = ec2Client(ec2);
    const created = await client.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.20" }));
    expect(created.NetworkInterface?.PrivateIpAddress).toBe("10.0.4.20");
    expect(created.$metadata.httpStatusCode).toBe(200);
    const listed = await client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "subnet-id", Values: [subnetId] }] }));
    expect(listed.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual([created.NetworkInterface?.NetworkInterfaceId]);
  });

  test("GIVEN a model error WHEN sent through the client THEN it is an EC2ServiceException with the AWS code as name", async () => {
    const { ec2, subnetId } = setup();
    const client = ec2Client(ec2);
    await client.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.20" }));
    const err = await client.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.20" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EC2ServiceException);
    expect(err).toMatchObject({ name: "InvalidIPAddress.InUse", $fault: "client" });
  });

  test("GIVEN a command the model does not serve WHEN sent THEN InvalidAction", async () => {
    const { ec2 } = setup();
    await expect(ec2Client(ec2).send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1 }))).rejects.toMatchObject({ name: "InvalidAction" });
  });

  test("GIVEN a hook WHEN calls are sent THEN the hook sees each call's operation and input, in order, and may delay it", async () => {
    const { ec2, subnetId } = setup();
    const seen: SdkCall[] = [];
    const client = ec2Client(ec2, {
      hook: async (call, next) => {
        seen.push(call);
        await new Promise((r) => setImmediate(r));
        return next();
      },
    });
    await client.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
    await client.send(new DescribeNetworkInterfacesCommand({}));
    expect(seen.map((c) => `${c.service}:${c.operation}`)).toEqual(["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces"]);
    expect(seen[0]!.input).toEqual({ SubnetId: subnetId });
  });
});

describe("autoScalingClient", () => {
  test("GIVEN a launch WHEN CompleteLifecycleAction is sent twice THEN the first continues the instance and the second is an AutoScalingServiceException ValidationError", async () => {
    const { ec2, nodeSubnet } = setup();
    const asg = new AutoScalingModel(ec2, { subnetIds: [nodeSubnet] });
    const client = autoScalingClient(asg);
    const { instanceId, events } = asg.launch();
    const input = {
      AutoScalingGroupName: asg.groupName,
      LifecycleHookName: events[0]!.detail.LifecycleHookName,
      LifecycleActionToken: events[0]!.detail.LifecycleActionToken,
      LifecycleActionResult: "CONTINUE",
    };
    await client.send(new CompleteLifecycleActionCommand(input));
    expect(asg.lifecycleState(instanceId)).toBe("InService");
    const err = await client.send(new CompleteLifecycleActionCommand(input)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AutoScalingServiceException);
    expect(err).toMatchObject({ name: "ValidationError" });
  });
});
