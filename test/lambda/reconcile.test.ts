import { ipToInt, parseConfig, planNetwork } from "../../ipam";
import { lambdaConfigs } from "../../ipam/lambda-env";
import { lambdaGroupsEnvironment, parseLambdaGroups } from "../../contract/lambda-env";
import { AUTOSCALING_GROUP_TAG, GROUP_INSTANCE_TAG } from "../../contract/state-change";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { RECONCILE_AFTER_MS, createHandler } from "../../lambda/handler";
import { parseEvent } from "../../lambda/events";
import { Ec2Model } from "../../simulator/ec2/model";
import { mixedFunction } from "./mixed-function";
import { AutoScalingModel } from "../../simulator/autoscaling/model";
import { autoScalingClient, ec2Client } from "../../simulator/sdk";

const RECONCILE = { source: "multus.reconcile", action: "reconcile" };

/** One function for the mixed example's groups; `now` is the function's clock (epoch ms), the model's launch times start at 0. */
async function setup(now = () => 10 * 60_000): ReturnType<typeof mixedFunction> {
  return mixedFunction({ seed: 7, now });
}

describe("the reconcile pass (hookless groups' lost pending events)", () => {
  test('GIVEN the module\'s constant input THEN it parses as the reconcile pass', () => {
    expect(parseEvent(RECONCILE)).toEqual({ kind: "reconcile" });
    expect(parseEvent({ detail: { action: "reconcile" } })).toEqual({ kind: "reconcile" });
  });

  test("GIVEN running Karpenter and managed nodes whose pending events never came, and an Auto Scaling group's node WHEN the reconcile pass runs THEN the hookless ones get their ENIs from their group's plan and tags, the Auto Scaling one is left to its hook; one JSON line; a second pass changes nothing", async () => {
    const { plan, groups, handler, lines, launch, multusEnis } = await setup();
    const burst = groups.find((g) => g.name === "burst")!;
    const steady = groups.find((g) => g.name === "steady")!;
    const k = launch({ [GROUP_INSTANCE_TAG.karpenter]: burst.autoScalingGroupName });
    const m = launch({ [GROUP_INSTANCE_TAG.managed]: steady.autoScalingGroupName });
    const a = launch({ [AUTOSCALING_GROUP_TAG]: groups[0]!.autoScalingGroupName });
    const stranger = launch({ [GROUP_INSTANCE_TAG.karpenter]: "someone-elses-pool" });

    const out = await handler(RECONCILE);

    expect(out).toMatchObject({ action: "reconcile", result: "NONE" });
    expect(out.reason).toBeUndefined();
    for (const [id, g] of [[k, burst], [m, steady]] as const) {
      const enis = multusEnis(id);
      expect(enis).toHaveLength(1);
      expect(enis[0]!.TagSet!.find((t) => t.Key === ENI_TAG_KEYS.nodeGroup)!.Value).toBe(g.nodeGroupTag);
      expect(enis[0]!.TagSet!.find((t) => t.Key === ENI_TAG_KEYS.instanceId)!.Value).toBe(id);
      expect(enis[0]!.Attachment!.DeleteOnTermination).toBe(true);
      const s = plan.subnets.find((x) => x.id === enis[0]!.SubnetId)!;
      const block = s.workerBlocks[g.name!];
      const ip = ipToInt(enis[0]!.PrivateIpAddress!);
      if (block) expect(block.first <= ip && ip <= block.last).toBe(true);
      else expect(s.dhcp.some((r) => r.first <= ip && ip <= r.last)).toBe(true);
    }
    expect(multusEnis(a)).toEqual([]);
    expect(multusEnis(stranger)).toEqual([]);
    const line = lines.filter((l) => l.action === "reconcile");
    expect(line).toHaveLength(1);
    expect(line[0]).toMatchObject({ groups: [{ group: burst.autoScalingGroupName, running: 1, lacking: 1 }, { group: steady.autoScalingGroupName, running: 1, lacking: 1 }], failed: [], deferred: [] });
    expect((line[0]!.attached as { instanceId: string }[]).map((x) => x.instanceId).sort()).toEqual([k, m].sort());
    // No per-instance launch lines: the pass reports as one.
    expect(lines.filter((l) => l.action === "launch")).toEqual([]);

    const before = [k, m].map((id) => multusEnis(id).map((e) => e.NetworkInterfaceId));
    const again = await handler(RECONCILE);
    expect(again.enis).toEqual([]);
    expect([k, m].map((id) => multusEnis(id).map((e) => e.NetworkInterfaceId))).toEqual(before);
    expect(lines.at(-1)).toMatchObject({ action: "reconcile", groups: [{ running: 1, lacking: 0 }, { running: 1, lacking: 0 }], attached: [] });
  });

  test("GIVEN a node launched less than RECONCILE_AFTER_MS ago THEN the pass leaves it to its pending event; once older, it attaches", async () => {
    let clock = RECONCILE_AFTER_MS - 1;
    const { groups, handler, launch, multusEnis } = await setup(() => clock);
    const k = launch({ [GROUP_INSTANCE_TAG.karpenter]: groups.find((g) => g.name === "burst")!.autoScalingGroupName });
    await handler(RECONCILE);
    expect(multusEnis(k)).toEqual([]);
    clock = RECONCILE_AFTER_MS;
    await handler(RECONCILE);
    expect(multusEnis(k)).toHaveLength(1);
  });

  test("GIVEN a function of Auto Scaling groups only THEN the pass is ignored, saying why", async () => {
    const config = parseConfig({ nodeGroup: { maxSize: 3, minSize: 0, desiredSize: 0 } });
    const groups = parseLambdaGroups(lambdaGroupsEnvironment(lambdaConfigs(config, planNetwork(config))));
    const ec2 = new Ec2Model({ seed: 1 });
    const primary = ec2.addSubnet({ cidr: "10.0.100.0/24", availabilityZone: "us-west-2a" });
    const handler = createHandler({ ec2: ec2Client(ec2), autoscaling: autoScalingClient(new AutoScalingModel(ec2, { groupName: groups[0]!.autoScalingGroupName, subnetIds: [primary.subnetId] })), config: groups, log: () => undefined });
    expect(await handler(RECONCILE)).toMatchObject({ action: "ignored", reason: expect.stringMatching(/no Karpenter or managed/) });
  });
});
