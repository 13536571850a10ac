import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { asShorthand } from "../../../ipam/cluster-config";
import { parseConfig } from "../../../ipam/config";
import { planNetwork } from "../../../ipam/plan";
import type { LifecycleEvent } from "../../../simulator/autoscaling/model";
import { Serving, serve } from "../../../simulator/http/serve";
import { AWS_TIMING, TimingName, timingProfile } from "../../../simulator/timing";

/** Reads without lag, so each answer shows the state now (the lag itself is tested on the model). */
const NO_LAG = { probability: 0, typicalMs: { min: 0, max: 0 }, tailProbability: 0, tailMs: { min: 0, max: 0 } };

/** serve's two timing profiles, on a wall clock the test moves. */
describe("serve's clock", () => {
  const defaults = parseConfig({});
  const config = { config: defaults, plan: planNetwork(defaults) };
  const group = "eks-multus-cluster-ng1";

  async function start(timing: TimingName) {
    let wall = Date.UTC(2026, 0, 1);
    const events: LifecycleEvent[] = [];
    const profile = timing === "aws" ? timingProfile("aws", { readLag: NO_LAG }) : timing;
    const serving: Serving = await serve({ config, timing: profile, now: () => wall, onEvent: (e) => events.push(e) });
    const clientConfig = { region: "us-west-2", endpoint: serving.url, credentials: { accessKeyId: "AKID", secretAccessKey: "s" } };
    const asg = new AutoScalingClient(clientConfig);
    const ec2 = new EC2Client(clientConfig);
    const members = async () => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }))).AutoScalingGroups![0]!.Instances!;
    const state = async (id: string) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.State!.Name;
    const stop = async () => {
      asg.destroy();
      ec2.destroy();
      await serving.close();
    };
    return { events, members, state, stop, ec2, move: (ms: number) => (wall += ms) };
  }

  test("GIVEN timing aws WHEN the launch hook's 300 s pass unanswered THEN the next request sees both launches ABANDONed and replaced, with new events, and once the profile's longest shutdown has passed the first instances terminated", async () => {
    const w = await start("aws");
    try {
      expect(w.events).toHaveLength(2);
      const first = w.events.map((e) => e.detail.EC2InstanceId);
      expect(w.events[0]!.time).toBe("2026-01-01T00:00:00Z");
      w.move(299_000);
      expect((await w.members()).map((m) => [m.InstanceId, m.LifecycleState])).toEqual(first.map((id) => [id, "Pending:Wait"]));
      w.move(2_000);
      const now = await w.members();
      expect(now.map((m) => m.LifecycleState)).toEqual(["Pending:Wait", "Pending:Wait"]);
      expect(now.map((m) => m.InstanceId).filter((id) => first.includes(id!))).toEqual([]);
      expect(w.events.slice(2).map((e) => [e["detail-type"], e.time])).toEqual([
        ["EC2 Instance-launch Lifecycle Action", "2026-01-01T00:05:00Z"],
        ["EC2 Instance-launch Lifecycle Action", "2026-01-01T00:05:00Z"],
      ]);
      expect(await w.state(first[0]!)).toBe("shutting-down");
      w.move(AWS_TIMING.shutdownMs.value.max);
      expect(await w.state(first[0]!)).toBe("terminated");
    } finally {
      await w.stop();
    }
  });

  test("GIVEN timing aws WHEN a client attaches an ENI to its own instance and detaches it THEN it reads attaching, then attached once the profile's attach time has passed, then detaching, then available", async () => {
    const w = await start("aws");
    const shorthand = asShorthand(defaults);
    try {
      const run = await w.ec2.send(new RunInstancesCommand({ ImageId: shorthand.nodeGroup.amiId, InstanceType: "c5.xlarge", SubnetId: shorthand.nodeGroup.subnetIds[0], MinCount: 1, MaxCount: 1 }));
      const instanceId = run.Instances![0]!.InstanceId!;
      expect(run.Instances![0]!.State!.Name).toBe("pending");
      w.move(AWS_TIMING.pendingMs.value.max);
      expect(await w.state(instanceId)).toBe("running");
      const eni = (await w.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: shorthand.multus.subnets[0]!.id }))).NetworkInterface!.NetworkInterfaceId!;
      const { AttachmentId } = await w.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 }));
      const status = async () => {
        const n = (await w.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces![0]!;
        return [n.Status, n.Attachment?.Status];
      };
      expect(await status()).toEqual(["attaching", "attaching"]);
      w.move(AWS_TIMING.attachMs.value.max);
      expect(await status()).toEqual(["in-use", "attached"]);
      await w.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
      expect(await status()).toEqual(["detaching", "detaching"]);
      w.move(AWS_TIMING.detachMs.value.max);
      expect(await status()).toEqual(["available", undefined]);
    } finally {
      await w.stop();
    }
  });

  test("GIVEN timing instant WHEN an hour of wall time passes THEN nothing happens that no request caused", async () => {
    const w = await start("instant");
    try {
      const before = await w.members();
      w.move(3_600_000);
      expect(await w.members()).toEqual(before);
      expect(w.events).toHaveLength(2);
    } finally {
      await w.stop();
    }
  });
});
