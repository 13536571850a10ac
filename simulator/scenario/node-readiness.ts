import { liftStartupTaint, newTaintMemory } from "../../agent/readiness";
import { newAgentMemory, reconcileNode } from "../../agent/reconcile";
import type { Ec2 } from "../../agent/reconcile";
import { STARTUP_ROUND_MS } from "../../agent/agent";
import { STARTUP_TAINT } from "../../contract/node-network";
import type { NetworkPlan } from "../../ipam/plan";
import type { AttachmentChange, Ec2Model } from "../ec2/model";
import type { Violation } from "../invariants";
import { FakeKube } from "../kube";
import { AWS_BOOT_TIMING, BootTiming, drawSpan } from "../node-boot";
import { SimHost } from "../node-host";
import { Rng, randomInt } from "../rng";
import type { ScenarioScheduler } from "./scheduler";

/**
 * Nodes booting while a scenario runs, and multus pods waiting for them: the scenario's check of
 * "no multus pod on a node before its ENIs are ready" (DESIGN.md, property 4) under launches,
 * churn and lost events, with the real agent (reconcileNode, liftStartupTaint) lifting the
 * startup taint over the SDK against the run's EC2 model.
 *
 * Each instance the run launches boots as simulator/node-boot.ts models one boot, with the same
 * assumed ranges (AWS_BOOT_TIMING; the attach itself is the run's allocator's): the user data
 * runs, the kubelet registers the node with the startup taint, Multus and the agent start. An
 * ENI appears in the kernel `hotplugMs` after EC2 has it `attached` (the model's
 * watchAttachments) and multus-eni names it once the user data is there too; it goes from the
 * kernel when its detach starts (assumed). Pods are created at random moments of the launch
 * window and the three minutes after it (the runner's choice: before, during and after the
 * boots) and bound, as the scheduler binds (a pod without a toleration for a NoSchedule taint
 * is not bound to that node, https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/),
 * to a running node without such a taint; an unbound pod is tried again every second
 * (kube-scheduler's podInitialBackoffSeconds, 1 s by default). Its CNI ADD, `podStartMs` later,
 * is checked against the node's host: a device not named and up, or no Multus configuration, is
 * violation `pod-before-network`. An InService node still tainted at the end is
 * `taint-not-lifted`.
 */
export interface ScenarioReadiness {
  /** Multus pods created during the launch window and the three minutes after it (each uses every network of its node). */
  readonly pods: number;
  /** Nodes register with the startup taint. false: without it (the baseline: pods may start early). @default true */
  readonly startupTaint?: boolean;
  /** The boot's step durations (attachCallMs unused: the run's allocator attaches). @default AWS_BOOT_TIMING */
  readonly boot?: BootTiming;
}

export interface ReadinessReport {
  /** Instances that booted a node. */
  readonly nodes: number;
  /** Nodes whose taint the agent lifted. */
  readonly lifted: number;
  /** Agent rounds run (their EC2 calls share the account's request buckets with the function's). */
  readonly agentRounds: number;
  readonly pods: number;
  /** Pods whose CNI ADD ran, early ones included. */
  readonly started: number;
  /** Pods whose CNI ADD found the node's multus network not ready. */
  readonly early: number;
  /** Pods bound to a node that was gone by their CNI ADD. */
  readonly lostWithNode: number;
  /** Pods never bound by the run's end. */
  readonly unbound: number;
}

interface BootedNode {
  readonly instanceId: string;
  readonly name: string;
  readonly host: SimHost;
  readonly userDataAt: number;
  /** Per device, multus-eni's work on it (ms). */
  readonly nameMs: Map<number, number>;
  registered: boolean;
  lifted: boolean;
  /** Why the agent's last round kept the taint (for taint-not-lifted). */
  waitingFor: string;
}

interface ScenarioPod {
  readonly createdAt: number;
  bound: boolean;
}


/** The boots of one run (see ScenarioReadiness). */
export class NodeReadiness {
  private readonly kube = new FakeKube();
  private readonly nodes = new Map<string, BootedNode>();
  private readonly pods: ScenarioPod[] = [];
  private readonly timing: BootTiming;
  private readonly tasks: Promise<void>[] = [];
  private readonly violations: Violation[] = [];
  private horizonMs = Infinity;
  private agentRounds = 0;
  private started = 0;
  private lostWithNode = 0;

  constructor(
    private readonly opts: ScenarioReadiness,
    private readonly deps: { readonly ec2Model: Ec2Model; readonly ec2: Ec2; readonly plan: NetworkPlan; readonly scheduler: ScenarioScheduler; readonly rng: Rng },
  ) {
    this.timing = opts.boot ?? AWS_BOOT_TIMING;
    deps.ec2Model.watchAttachments((c) => this.onAttachment(c));
  }

  /** Starts the pods: created at random moments of the first `windowMs`. */
  startPods(windowMs: number): void {
    const { rng } = this.deps;
    for (let k = 0; k < this.opts.pods; k++) this.pods.push({ createdAt: this.deps.scheduler.now() + randomInt(rng, Math.max(1, windowMs)), bound: false });
    this.pods.sort((a, b) => a.createdAt - b.createdAt);
    this.tasks.push(this.bindPods());
  }

  /** A launched instance boots a node: user data, registration, Multus, the agent. */
  boot(instanceId: string, availabilityZone: string, planGroup: string | undefined): void {
    const { plan, scheduler, rng } = this.deps;
    const group = plan.groups.find((g) => g.name === planGroup) ?? plan.groups[0]!;
    const devices = group.subnets.filter((s) => s.availabilityZone === availabilityZone).map((s) => s.deviceIndex);
    const t = this.timing;
    // The kernel boots once the instance is `running` (EC2 user guide, "Amazon EC2 instance state changes").
    const userData = Math.max(0, (this.deps.ec2Model.runningAt(instanceId) ?? scheduler.now()) - scheduler.now()) + drawSpan(rng, t.userDataMs);
    const registerAt = userData + drawSpan(rng, t.registerMs);
    const multusAt = registerAt + drawSpan(rng, t.multusMs);
    const agentAt = registerAt + drawSpan(rng, t.agentMs);
    const node: BootedNode = {
      instanceId,
      name: `node-${instanceId}`,
      host: new SimHost(),
      userDataAt: scheduler.now() + userData,
      nameMs: new Map(devices.map((d) => [d, drawSpan(rng, t.nameMs)])),
      registered: false,
      lifted: false,
      waitingFor: "",
    };
    this.nodes.set(instanceId, node);
    scheduler.setTimer(userData, () => node.host.setExpected(devices), `${node.name}:user-data`);
    scheduler.setTimer(
      registerAt,
      () => {
        if (!this.running(instanceId)) return;
        this.kube.addNode(node.name, { providerId: `aws:///${availabilityZone}/${instanceId}`, taints: this.opts.startupTaint === false ? [] : [{ ...STARTUP_TAINT }] });
        node.registered = true;
      },
      `${node.name}:register`,
    );
    scheduler.setTimer(multusAt, () => (node.host.multus = true), `${node.name}:multus`);
    this.tasks.push(this.agent(node, agentAt));
  }

  /**
   * The launches have ended at `now`: nodes and pods get until `graceMs` later (the last
   * reconcile pass and a boot's longest path fit in it); then the rounds and the binding stop.
   */
  launchesEnded(graceMs: number): void {
    this.horizonMs = this.deps.scheduler.now() + graceMs;
  }

  /** Resolves when every agent has lifted its taint or lost its node and every pod is bound, or at the horizon. */
  async done(): Promise<void> {
    // Boots started while others were awaited are awaited too.
    for (let seen = 0; seen < this.tasks.length; ) {
      const batch = this.tasks.slice(seen);
      seen += batch.length;
      await Promise.all(batch);
    }
  }

  /** Violations (pod-before-network, taint-not-lifted) and the counts. */
  result(inService: ReadonlySet<string>): { violations: Violation[]; report: ReadinessReport } {
    const violations = [...this.violations];
    for (const node of this.nodes.values()) {
      if (!inService.has(node.instanceId) || !this.kube.nodeTaints(node.name).some((x) => x.key === STARTUP_TAINT.key)) continue;
      const why = node.registered ? node.waitingFor || "the agent never ran a round" : "the node never registered";
      violations.push({ kind: "taint-not-lifted", detail: `InService ${node.instanceId} still has ${STARTUP_TAINT.key} at the end: ${why}` });
    }
    return {
      violations,
      report: {
        nodes: this.nodes.size,
        lifted: [...this.nodes.values()].filter((n) => n.lifted).length,
        agentRounds: this.agentRounds,
        pods: this.pods.length,
        started: this.started,
        early: this.violations.filter((v) => v.kind === "pod-before-network").length,
        lostWithNode: this.lostWithNode,
        unbound: this.pods.filter((p) => !p.bound).length,
      },
    };
  }

  /** Not on its way out (a `pending` instance's boot waits for `running`, see boot). */
  private running(instanceId: string): boolean {
    const state = this.deps.ec2Model.instanceState(instanceId);
    return state === "running" || state === "pending";
  }

  private onAttachment(c: AttachmentChange): void {
    const node = this.nodes.get(c.instanceId);
    if (!node || c.deviceIndex === 0) return;
    const iface = `ens${5 + c.deviceIndex}`;
    const { scheduler, rng } = this.deps;
    if (c.status === "detaching") {
      node.host.unplug(iface);
      return;
    }
    const plugged = drawSpan(rng, this.timing.hotplugMs);
    const named = Math.max(plugged, node.userDataAt - scheduler.now()) + (node.nameMs.get(c.deviceIndex) ?? drawSpan(rng, this.timing.nameMs));
    scheduler.setTimer(plugged, () => node.host.plug(iface, c.mac), `${node.name}:hotplug`);
    scheduler.setTimer(
      named,
      () => {
        // Still the same ENI at that name: multus-eni names what the kernel shows.
        if (node.host.links.get(iface)?.mac === c.mac) node.host.configure(iface, c.deviceIndex, c.subnetId);
      },
      `${node.name}:multus-eni`,
    );
  }

  /** The agent on the node: a round at its start, then every STARTUP_ROUND_MS until the taint is gone (agent/agent.ts). */
  private async agent(node: BootedNode, startMs: number): Promise<void> {
    const { scheduler, ec2 } = this.deps;
    await scheduler.sleep(startMs, `${node.name}:agent-start`);
    const memory = newAgentMemory();
    const taint = newTaintMemory();
    while (scheduler.now() < this.horizonMs && this.running(node.instanceId)) {
      this.agentRounds++;
      try {
        const r = await reconcileNode({ ec2, kube: this.kube, nodeName: node.name, instanceId: node.instanceId, memory });
        const outcome = await liftStartupTaint({ kube: this.kube, nodeName: node.name, host: node.host, memory: taint }, r.enis);
        if (outcome === "lifted" || outcome === "absent") {
          node.lifted = outcome === "lifted";
          return;
        }
        node.waitingFor = taint.lastWaiting ?? "";
      } catch (err) {
        // A failed read (throttled past the SDK's retries, say): the loop runs the round again (agent/agent.ts retry.minMs).
        node.waitingFor = `the round failed: ${(err as Error).name}`;
        await scheduler.sleep(1000, `${node.name}:agent-retry`);
        continue;
      }
      await scheduler.sleep(STARTUP_ROUND_MS, `${node.name}:agent-round`);
    }
  }

  /** The scheduler's binding loop: every second, each created and unbound pod to a random node it fits. */
  private async bindPods(): Promise<void> {
    const { scheduler, rng } = this.deps;
    for (;;) {
      const now = scheduler.now();
      const waiting = this.pods.filter((p) => !p.bound && p.createdAt <= now);
      if (waiting.length) {
        const fits = [...this.nodes.values()].filter((n) => n.registered && this.running(n.instanceId) && !this.kube.nodeTaints(n.name).some((x) => x.effect === "NoSchedule" || x.effect === "NoExecute"));
        for (const pod of fits.length ? waiting : []) {
          pod.bound = true;
          this.startPod(fits[randomInt(rng, fits.length)]!);
        }
      }
      const next = this.pods.find((p) => !p.bound);
      if (!next || now >= this.horizonMs) return;
      // The next try: a second on (the scheduler's backoff), or the next pod's creation.
      await scheduler.sleep(next.createdAt > now ? next.createdAt - now : 1000, "pods:bind");
    }
  }

  /** A bound pod's sandbox: its CNI ADD after podStartMs, checked against the node's host. */
  private startPod(node: BootedNode): void {
    const { scheduler, rng } = this.deps;
    const add = async () => {
      await scheduler.sleep(drawSpan(rng, this.timing.podStartMs), `${node.name}:pod-add`);
      if (!this.running(node.instanceId)) {
        this.lostWithNode++;
        return;
      }
      this.started++;
      const missing = node.host.podNetworkGaps();
      if (missing.length) this.violations.push({ kind: "pod-before-network", detail: `a multus pod's CNI ADD ran on ${node.instanceId} at t=${scheduler.now()} ms: ${missing.join(", ")}` });
    };
    this.tasks.push(add());
  }
}
