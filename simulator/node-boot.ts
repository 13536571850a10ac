import { liftStartupTaint, newTaintMemory } from "../agent/readiness";
import { newAgentMemory, reconcileNode } from "../agent/reconcile";
import { STARTUP_ROUND_MS } from "../agent/agent";
import { STARTUP_TAINT } from "../contract/node-network";
import { EC2_ERROR_CODES, errorCode } from "../contract/aws-errors";
import { ENI_TAG_KEYS } from "../contract/tags";
import { DiscreteClock } from "./clock";
import { Ec2Model } from "./ec2/model";
import { FakeKube } from "./kube";
import { SimHost } from "./node-host";
import { Rng, seededRandom } from "./rng";
import { ec2Client } from "./sdk";
import { TimingProfile, timingProfile } from "./timing";

/**
 * How a multus node becomes ready, and whether pods wait for it: a small model of one boot,
 * from the launch to the first multus pod, driving the real agent code (reconcileNode and
 * liftStartupTaint over the SDK against the EC2 model, the in-memory Kubernetes, the host model
 * SimHost). Times are ms after the instance's launch.
 *
 * The order of steps is the documented part: the user data (cloud-init) runs before nodeadm's
 * run phase starts the kubelet (awslabs/amazon-eks-ami nodeadm-run.service:
 * After=cloud-final.service), so the udev rule and multus-eni are installed before the node
 * registers; the kubelet registers the node with the startup taint
 * (KubeletConfiguration registerWithTaints); the scheduler binds no pod to a node with a
 * NoSchedule taint the pod does not tolerate
 * (https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/); an ENI's
 * attachment completes asynchronously (EC2 API reference, NetworkInterfaceAttachment: attaching
 * | attached). How long each step takes is not documented: the ranges below are assumed and the
 * property sweeps them.
 *
 * The boot runs on the simulated clock of the EC2 model, under its timing profile (`ec2Timing`):
 * with `instant` the attachment is `attached` at the plan's attachedAt; with `aws` the model
 * itself is as slow and as lazy as AWS documents (simulator/timing.ts): the instance is
 * `pending` and refuses the attach for a while (the Lambda tries again every second), the
 * attachment is `attaching` for the profile's time, and the agent's DescribeNetworkInterfaces
 * may answer from seconds ago. The kernel sees the ENI hotplugMs after it is `attached`, however
 * long that took.
 */

/** A uniform range in ms. */
export interface Span {
  readonly min: number;
  readonly max: number;
}

export interface BootTiming {
  /** Launch to the lifecycle Lambda's AttachNetworkInterface call (the hook's event, the Lambda's work). */
  readonly attachCallMs: Span;
  /** The call to the attachment being `attached`. */
  readonly attachMs: Span;
  /** `attached` to the interface appearing in the kernel (PCI hot-plug); at boot, present from the start. */
  readonly hotplugMs: Span;
  /** Launch to the user data running (the kernel boots, cloud-init starts). */
  readonly userDataMs: Span;
  /** multus-eni's work on one ENI: IMDS answering for a hot-plugged ENI (device-number propagation) and the configuration. */
  readonly nameMs: Span;
  /** User data to the kubelet registering the node (nodeadm's run phase). */
  readonly registerMs: Span;
  /** Registration to Multus's CNI configuration on the node (image pull, daemon start). */
  readonly multusMs: Span;
  /** Registration to the agent's first round on the node. */
  readonly agentMs: Span;
  /** A pod bound to the node to its sandbox's CNI ADD. */
  readonly podStartMs: Span;
}

/**
 * The `aws` ranges for a boot. All assumed (AWS, the EKS AMI and Kubernetes document no
 * durations); they are wide on purpose and the property draws every step independently, so
 * an ENI can attach long before the kernel boots or long after the kubelet registers.
 */
export const AWS_BOOT_TIMING: BootTiming = {
  // The Lambda runs within seconds of the launch hook; retries (Lambda: 1 and 2 minutes) or a
  // node launched without a hook (Karpenter, managed node groups) make it later.
  attachCallMs: { min: 500, max: 180_000 },
  attachMs: { min: 500, max: 3000 },
  hotplugMs: { min: 0, max: 2000 },
  userDataMs: { min: 15_000, max: 60_000 },
  // amazon-ec2-net-utils retries device-number 60 x 0.1 s (lib/lib.sh _get_device_number);
  // multus-eni retries every second, up to a minute.
  nameMs: { min: 200, max: 15_000 },
  registerMs: { min: 5000, max: 30_000 },
  multusMs: { min: 3000, max: 90_000 },
  agentMs: { min: 2000, max: 60_000 },
  podStartMs: { min: 200, max: 5000 },
};

/**
 * Every step at the quick end of its `aws` range: the node is up as early as the ranges allow,
 * so what it waits for is its ENIs (the late attach of a lost event, a throttled or refused
 * call). The scenario properties draw it beside AWS_BOOT_TIMING.
 */
export const QUICK_BOOT_TIMING: BootTiming = Object.fromEntries(Object.entries(AWS_BOOT_TIMING).map(([k, s]: [string, Span]) => [k, { min: s.min, max: s.min }])) as unknown as BootTiming;

/** The drawn duration of each step of one boot (ms), within BootTiming's ranges. */
export interface BootDraws {
  /** Per multus device (index 0 = device 1). */
  readonly attachCall: readonly number[];
  readonly attach: readonly number[];
  readonly hotplug: readonly number[];
  readonly name: readonly number[];
  readonly userData: number;
  readonly register: number;
  readonly multus: number;
  readonly agent: number;
}

/** One node's boot: when each step happens, ms after the launch. */
export interface BootPlan {
  /** Per device: the Lambda calls AttachNetworkInterface. */
  readonly attachCalledAt: number[];
  /** Per device: the attachment is `attached` in EC2 (with an instantly attaching EC2). */
  readonly attachedAt: number[];
  /** Per device: the attachment's `attached` to the interface in the kernel, ms. */
  readonly hotplugMs: number[];
  /** Per device: multus-eni's work on the interface, ms. */
  readonly nameMs: number[];
  /** Per device: the kernel shows the interface (present from boot if attached before). */
  readonly pluggedAt: number[];
  readonly userDataAt: number;
  /** Per device: multus-eni has named it and brought it up. */
  readonly namedAt: number[];
  readonly registerAt: number;
  readonly multusAt: number;
  readonly agentAt: number;
}

/**
 * The boot the draws give: udev starts multus-eni for an ENI when it appears if the user data
 * has installed the rule by then, else the user data's `multus-eni --all` does it.
 */
export function bootPlan(d: BootDraws): BootPlan {
  const attachedAt = d.attachCall.map((c, i) => c + d.attach[i]!);
  const pluggedAt = attachedAt.map((t, i) => t + d.hotplug[i]!);
  const namedAt = pluggedAt.map((t, i) => Math.max(t, d.userData) + d.name[i]!);
  const registerAt = d.userData + d.register;
  return {
    attachCalledAt: [...d.attachCall],
    attachedAt,
    hotplugMs: [...d.hotplug],
    nameMs: [...d.name],
    pluggedAt,
    userDataAt: d.userData,
    namedAt,
    registerAt,
    multusAt: registerAt + d.multus,
    agentAt: registerAt + d.agent,
  };
}

/** A duration drawn uniformly from the span, whole ms. */
export function drawSpan(rng: Rng, s: Span): number {
  return Math.round(s.min + rng() * (s.max - s.min));
}

/** Draws one boot from the ranges. */
export function drawBoot(rng: Rng, devices: number, timing: BootTiming = AWS_BOOT_TIMING): BootPlan {
  const each = (s: Span) => Array.from({ length: devices }, () => drawSpan(rng, s));
  return bootPlan({
    attachCall: each(timing.attachCallMs),
    attach: each(timing.attachMs),
    hotplug: each(timing.hotplugMs),
    name: each(timing.nameMs),
    userData: drawSpan(rng, timing.userDataMs),
    register: drawSpan(rng, timing.registerMs),
    multus: drawSpan(rng, timing.multusMs),
    agent: drawSpan(rng, timing.agentMs),
  });
}

export interface ReadinessRunOptions {
  readonly boots: readonly BootPlan[];
  /** When each multus pod is created (ms); each uses every multus network. */
  readonly podsAt: readonly number[];
  /** Nodes register with the startup taint. false: the nodes as before it (the baseline). */
  readonly startupTaint: boolean;
  readonly seed: number;
  readonly timing?: BootTiming;
  /** The EC2 model's timing profile (simulator/timing.ts). @default "instant" */
  readonly ec2Timing?: TimingProfile;
  /** Stop here (ms) if pods are still pending. @default the last event + 10 minutes */
  readonly horizonMs?: number;
}

/** A multus pod whose CNI ADD ran on a node whose multus network was not ready. */
export interface EarlyStart {
  readonly pod: number;
  readonly node: string;
  readonly at: number;
  readonly missing: string[];
}

export interface ReadinessRunResult {
  readonly early: EarlyStart[];
  /** Per pod: when its CNI ADD ran, or undefined if it was never scheduled. */
  readonly startedAt: (number | undefined)[];
  /** Per node: when the agent lifted the taint. */
  readonly liftedAt: (number | undefined)[];
  /** Per node: when its multus network was ready (every device named and up, Multus configured); Infinity if never. */
  readonly readyAt: number[];
  /** Per node and device: when EC2 had the attachment `attached` (undefined: not by the horizon). */
  readonly attachedAt: (number | undefined)[][];
}

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => Promise<void> | void;
}

const NODE_SUBNET_CIDR = "10.0.0.0/20";
const AZ = "us-west-2a";
const GROUP = "multus-ng";

/**
 * Runs the boots and the pods in time order. A pod is bound, when it exists, to the first
 * registered node whose taints it tolerates (none: multus pods carry no toleration for the
 * startup taint); its CNI ADD follows after podStartMs and is checked against the host.
 */
export async function runReadiness(opts: ReadinessRunOptions): Promise<ReadinessRunResult> {
  const timing = opts.timing ?? AWS_BOOT_TIMING;
  const rng = seededRandom(opts.seed);
  // One clock for the model's own events (pending, attaching) and the boot's: time moves to each event.
  const clock = new DiscreteClock(opts.seed);
  const model = new Ec2Model({ seed: opts.seed, clock });
  const ec2 = ec2Client(model);
  const kube = new FakeKube();
  const nodeSubnet = model.addSubnet({ cidr: NODE_SUBNET_CIDR, availabilityZone: AZ });
  const devices = Math.max(0, ...opts.boots.map((b) => b.attachedAt.length));
  const subnets = Array.from({ length: devices }, (_, d) => model.addSubnet({ cidr: `10.0.${16 + d}.0/24`, availabilityZone: AZ }).subnetId);

  const events: Event[] = [];
  let seq = 0;
  const at = (t: number, run: Event["run"]) => events.push({ at: t, seq: seq++, run });

  const nodes = await Promise.all(
    opts.boots.map(async (boot, i) => {
      const name = `ip-10-0-0-${10 + i}.us-west-2.compute.internal`;
      const enis = await Promise.all(
        boot.attachedAt.map(async (_, d) => {
          const created = await model.createNetworkInterface({
            SubnetId: subnets[d]!,
            TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: ENI_TAG_KEYS.nodeGroup, Value: GROUP }] }],
          });
          return { id: created.NetworkInterface!.NetworkInterfaceId!, mac: created.NetworkInterface!.MacAddress! };
        }),
      );
      return { name, boot, instanceId: "", enis, host: new SimHost(), registered: false, liftedAt: undefined as number | undefined, memory: newAgentMemory(), taint: newTaintMemory() };
    }),
  );
  // Set up at leisure; the launches and everything after go by the profile.
  model.setTiming(opts.ec2Timing ?? timingProfile("instant"));
  const asynchronous = model.timing.attachMs.max > 0;
  for (const node of nodes) {
    node.instanceId = model.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodeSubnet.subnetId }).instanceId;
    await model.createTags({ Resources: node.enis.map((e) => e.id), Tags: [{ Key: ENI_TAG_KEYS.instanceId, Value: node.instanceId }] });
  }

  const attachedAt = nodes.map((n) => n.boot.attachedAt.map((): number | undefined => undefined));
  const namedAt = nodes.map((n) => n.boot.attachedAt.map((): number | undefined => undefined));
  nodes.forEach((node, ni) => {
    const { boot, host } = node;
    boot.attachedAt.forEach((planned, d) => {
      const eniId = node.enis[d]!.id;
      // `attached` (seen within 100 ms): the kernel sees the ENI hotplugMs later; multus-eni
      // names it once both the ENI and the user data's udev rule are there.
      const onAttached = (t: number) => {
        attachedAt[ni]![d] = t;
        const plugged = t + boot.hotplugMs[d]!;
        const named = Math.max(plugged, boot.userDataAt) + boot.nameMs[d]!;
        at(plugged, () => host.plug(`ens${6 + d}`, node.enis[d]!.mac));
        at(named, () => {
          host.configure(`ens${6 + d}`, d + 1, subnets[d]!);
          namedAt[ni]![d] = named;
        });
      };
      const watch = (t: number) => {
        if (model.networkInterface(eniId)?.Attachment?.Status === "attached") onAttached(t);
        else at(t + 100, () => watch(t + 100));
      };
      // The Lambda's attach; a pending instance refuses it for a while, and the Lambda tries
      // again (lambda/launch.ts ATTACH_WHEN_READY; here every second).
      const attach = async (t: number) => {
        try {
          await model.attachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: node.instanceId, DeviceIndex: d + 1 });
        } catch (err) {
          const code = errorCode(err);
          if (code !== EC2_ERROR_CODES.incorrectInstanceState && code !== EC2_ERROR_CODES.pendingInstance && code !== "RequestLimitExceeded") throw err;
          at(t + 1000, () => attach(t + 1000));
          return;
        }
        watch(t);
      };
      // An instantly attaching EC2 stands for the plan's attach time; an asynchronous one takes its own.
      const callAt = asynchronous ? boot.attachCalledAt[d]! : planned;
      at(callAt, () => attach(callAt));
    });
    at(boot.userDataAt, () => host.setExpected(boot.attachedAt.map((_, d) => d + 1)));
    at(boot.registerAt, () => {
      kube.addNode(node.name, { providerId: `aws:///${AZ}/${node.instanceId}`, taints: opts.startupTaint ? [{ ...STARTUP_TAINT }] : [] });
      node.registered = true;
    });
    at(boot.multusAt, () => {
      host.multus = true;
    });
    // The agent: a round at its start and every STARTUP_ROUND_MS until the taint is gone.
    const round = async (t: number): Promise<void> => {
      let r;
      try {
        r = await reconcileNode({ ec2, kube, nodeName: node.name, instanceId: node.instanceId, tagValue: GROUP, memory: node.memory });
      } catch {
        // A failed read (throttled, say): the agent's loop runs the round again a second later (agent/agent.ts retry.minMs).
        at(t + 1000, () => round(t + 1000));
        return;
      }
      const outcome = await liftStartupTaint({ kube, nodeName: node.name, host, memory: node.taint }, r.enis);
      if (outcome === "lifted") node.liftedAt = t;
      if (outcome === "waiting" || outcome === "failed") at(t + STARTUP_ROUND_MS, () => round(t + STARTUP_ROUND_MS));
    };
    at(boot.agentAt, () => round(boot.agentAt));
  });

  const pending = new Set(opts.podsAt.map((_, i) => i));
  const startedAt: (number | undefined)[] = opts.podsAt.map(() => undefined);
  const early: EarlyStart[] = [];
  const schedule = (t: number) => {
    for (const pod of [...pending]) {
      if (opts.podsAt[pod]! > t) continue;
      const fits = nodes.filter((n) => n.registered && !kube.nodeTaints(n.name).some((x) => x.effect === "NoSchedule" || x.effect === "NoExecute"));
      if (!fits.length) continue;
      const node = fits[Math.floor(rng() * fits.length)]!;
      pending.delete(pod);
      const addAt = t + drawSpan(rng, timing.podStartMs);
      at(addAt, () => {
        startedAt[pod] = addAt;
        const missing = node.host.podNetworkGaps();
        if (missing.length) early.push({ pod, node: node.name, at: addAt, missing });
      });
    }
  };
  opts.podsAt.forEach((t) => at(t, () => undefined));

  const last = Math.max(0, ...events.map((e) => e.at), ...opts.podsAt);
  const horizon = opts.horizonMs ?? last + 600_000;
  while (events.length) {
    events.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const e = events.shift()!;
    if (e.at > horizon) break;
    clock.advance(e.at - clock.now());
    await e.run();
    schedule(e.at);
  }
  return {
    early,
    startedAt,
    liftedAt: nodes.map((n) => n.liftedAt),
    readyAt: nodes.map((n, ni) => Math.max(...namedAt[ni]!.map((t) => t ?? Infinity), n.boot.multusAt, n.boot.userDataAt)),
    attachedAt,
  };
}
