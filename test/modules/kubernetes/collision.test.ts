import fc from "fast-check";
import { stringify } from "yaml";
import { NetworkPlan, contains, intToIp, ipToInt, isAwsReserved } from "../../../ipam";
import { HostLocalModel } from "../../../simulator/cni/host-local";
import { ParsedNad, analyseNads, parseNad } from "../../../simulator/cni/nad";
import { WhereaboutsConfig, WhereaboutsError, WhereaboutsModel } from "../../../simulator/cni/whereabouts";
import { K8sObject, NAD_ANNOTATIONS, buildKubernetesStacks, networkDefinitions } from "../../../modules/kubernetes";
import { DEFAULT, configFor, manifestsOf, newApp, synthJson } from "./helpers";

/**
 * The generated NADs fed, as YAML, to the simulator's NAD parser and its whereabouts model
 * (simulator/cni, a model of whereabouts v0.9.4: cluster-wide pools with compare-and-swap).
 */
function parsedNads(manifests: K8sObject[]): { nad: ParsedNad; config: WhereaboutsConfig; subnetId: string }[] {
  return manifests.map((m) => {
    const [nad] = parseNad(stringify(m), `${m.metadata.name}.yaml`);
    if (nad!.ipam.type !== "whereabouts") throw new Error(`${m.metadata.name}: not whereabouts`);
    return { nad: nad!, config: nad!.ipam.config, subnetId: (m.metadata.annotations as Record<string, string>)[NAD_ANNOTATIONS.subnetId]! };
  });
}

/** Every problem with a set of live pod addresses against the plan: duplicates, outside the pod block, on a worker, DHCP or AWS-reserved address. */
function problems(plan: NetworkPlan, live: { subnetId: string; ip: string; pod: string }[]): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const a of live) {
    const s = plan.subnets.find((x) => x.id === a.subnetId)!;
    const n = ipToInt(a.ip);
    const key = `${a.subnetId}/${a.ip}`;
    if (seen.has(key)) out.push(`pod-pod: ${a.ip} held by ${seen.get(key)} and ${a.pod}`);
    seen.set(key, a.pod);
    if (!contains(s.pods, n)) out.push(`outside the pod block: ${a.ip} (${a.pod})`);
    if (s.strategy === "static" && contains(s.workers, n)) out.push(`pod-worker: ${a.ip} is in the worker block`);
    if (s.dhcp.some((r) => contains(r, n))) out.push(`pod-dhcp: ${a.ip} is where AWS DHCP gives worker ENIs addresses`);
    if (isAwsReserved(s.subnet, n)) out.push(`aws-reserved: ${a.ip}`);
  }
  return out;
}

const shapes = fc.record({
  prefix: fc.integer({ min: 22, max: 27 }),
  subnets: fc.integer({ min: 1, max: 3 }),
  zones: fc.integer({ min: 1, max: 2 }),
  strategy: fc.constantFrom("static" as const, "reservation" as const),
  maxSize: fc.integer({ min: 2, max: 8 }),
  podsPerNode: fc.integer({ min: 1, max: 12 }),
  amiFamily: fc.constant("al2023" as const),
});

describe("generated NADs in the whereabouts model across many nodes", () => {
  it("GIVEN the synthesized networks stack THEN its NADs are exactly the generated definitions (what the model is fed is what is applied)", () => {
    const stacks = buildKubernetesStacks(newApp(), DEFAULT.config, DEFAULT.plan, { agent: { create: false } });
    const applied = manifestsOf(synthJson(stacks.networks)).filter((m) => m.kind === "NetworkAttachmentDefinition");
    expect(applied).toEqual(networkDefinitions(DEFAULT.plan, { amiFamily: DEFAULT.config.nodeGroup.amiFamily }).map((n) => n.manifest));
  });

  it("GIVEN any feasible plan WHEN every node starts, churns and restarts its pods concurrently THEN no pod address is shared, on a worker, DHCP or AWS-reserved address, or outside the pod block", async () => {
    let runs = 0;
    let churned = 0;
    await fc.assert(
      // Churn in whole percent of the pods: a fraction from fc.double would sit near 0 (fast-check
      // biases doubles towards small values) and almost no pod would die.
      fc.asyncProperty(shapes, fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 60 }), async (shape, delays, churnPercent) => {
        const made = configFor(shape);
        fc.pre(made !== undefined);
        const { config, plan } = made!;
        const nads = parsedNads(networkDefinitions(plan, { amiFamily: config.nodeGroup.amiFamily }).map((n) => n.manifest));
        const model = new WhereaboutsModel();
        let tick = 0;
        // Interleave the read-modify-write of concurrent ADDs and DELs by a generated schedule.
        const hooks = {
          betweenReadAndUpdate: async () => {
            for (let i = delays[tick++ % delays.length]!; i > 0; i--) await Promise.resolve();
          },
        };
        const nodes = Array.from({ length: config.nodeGroup.maxSize }, (_, i) => `node-${i}`);
        type Slot = { node: string; subnetId: string; config: WhereaboutsConfig; index: number };
        const slots: Slot[] = nodes.flatMap((node) =>
          nads.flatMap(({ config: c, subnetId }) => Array.from({ length: config.multus.podsPerNode }, (_, index) => ({ node, subnetId, config: c, index }))),
        );
        const live = new Map<Slot, { subnetId: string; ip: string; pod: string }>();
        // Addresses held at this moment (ADD done, DEL not yet): a second holder at any time is a collision.
        const held = new Map<string, string>();
        const overlaps: string[] = [];
        // A failed ADD (pool momentarily full, or too many lost compare-and-swaps) is retried
        // later, as the kubelet does; it must never hand out a wrong address.
        const add = async (slot: Slot, generation: number): Promise<boolean> => {
          const pod = `default/pod-${slot.node}-${slot.subnetId}-${slot.index}-${generation}`;
          try {
            const [ip] = await model.allocate(slot.config, { node: slot.node, containerId: pod, podRef: pod }, hooks);
            live.set(slot, { subnetId: slot.subnetId, ip: ip!, pod });
            const key = `${slot.subnetId}/${ip!}`;
            if (held.has(key)) overlaps.push(`${ip!} given to ${pod} while ${held.get(key)!} holds it`);
            held.set(key, pod);
            return true;
          } catch (err) {
            if (err instanceof WhereaboutsError) return false;
            throw err;
          }
        };
        const retry = async (failed: Slot[], generation: number) => {
          for (const slot of failed) expect(await add(slot, generation)).toBe(true);
        };
        // Every node starts its pods at once.
        const first = await Promise.all(slots.map((slot) => add(slot, 0)));
        await retry(slots.filter((_, i) => !first[i]), 0);
        // Some pods die (DEL) while their replacements start (ADD) on the same nodes.
        const dying = slots.filter((_, i) => (i * 0.618) % 1 < churnPercent / 100);
        runs++;
        if (dying.length > 0) churned++;
        const results = await Promise.all([
          ...dying.map(async (slot) => {
            const old = live.get(slot)!;
            await model.release(slot.config, { node: slot.node, containerId: old.pod, podRef: old.pod }, hooks);
            held.delete(`${old.subnetId}/${old.ip}`);
            return true;
          }),
          ...dying.map((slot) => add(slot, 1)),
        ]);
        await retry(dying.filter((_, i) => !results[dying.length + i]), 2);
        expect(overlaps).toEqual([]);
        expect(problems(plan, [...live.values()])).toEqual([]);
        // Every pod of every node got its address: the pool held maxSize x podsPerNode.
        expect(live.size).toBe(slots.length);
        const analysis = analyseNads(
          nads.map((n) => n.nad),
          { plan: plan.subnets, nodes: nodes.length, podsPerNode: config.multus.podsPerNode },
        );
        expect(analysis.collisions).toEqual([]);
      }),
      { numRuns: 40 },
    );
    // Most runs did churn: pods died while their replacements started.
    expect(churned).toBeGreaterThanOrEqual(runs / 2);
  });

  it("GIVEN a full pod block WHEN one more pod starts THEN whereabouts refuses it instead of reaching past the block", async () => {
    const nads = parsedNads(networkDefinitions(DEFAULT.plan, { amiFamily: "al2023" }).map((n) => n.manifest));
    const { config: c, subnetId } = nads[0]!;
    const subnet = DEFAULT.plan.subnets.find((s) => s.id === subnetId)!;
    const model = new WhereaboutsModel();
    const size = subnet.pods.last - subnet.pods.first + 1;
    const got: string[] = [];
    for (let i = 0; i < size; i++) got.push(...(await model.allocate(c, { node: `node-${i % 3}`, containerId: `c${i}`, podRef: `default/p${i}` })));
    expect(got.map(ipToInt).sort((a, b) => a - b)).toEqual(Array.from({ length: size }, (_, i) => subnet.pods.first + i));
    await expect(model.allocate(c, { node: "node-0", containerId: "extra", podRef: "default/extra" })).rejects.toThrow(WhereaboutsError);
  });

  it("GIVEN the reference's host-local NAD on the same nodes THEN the same check finds the duplicates whereabouts avoids", () => {
    const reference = parseNad(
      stringify({
        apiVersion: "k8s.cni.cncf.io/v1",
        kind: "NetworkAttachmentDefinition",
        metadata: { name: "ipvlan-conf-1" },
        spec: { config: JSON.stringify({ cniVersion: "0.3.0", type: "ipvlan", master: "eth1", mode: "l2", ipam: { type: "host-local", subnet: "10.0.4.0/24", rangeStart: "10.0.4.70", rangeEnd: "10.0.4.80", gateway: "10.0.4.1" } }) },
      }),
      "reference.yaml",
    )[0]!;
    const hostLocalConfig = reference.ipam.type === "host-local" ? reference.ipam.config : undefined;
    if (!hostLocalConfig) throw new Error("expected host-local");
    const hostLocal = new HostLocalModel();
    const live = ["node-0", "node-1", "node-2"].flatMap((node) =>
      [0, 1, 2].map((p) => ({ subnetId: DEFAULT.plan.subnets[0]!.id, ip: hostLocal.add(node, hostLocalConfig, `${node}-${p}`)[0]!, pod: `${node}/pod-${p}` })),
    );
    const found = problems(DEFAULT.plan, live);
    expect(found.filter((p) => p.startsWith("pod-pod"))).toHaveLength(6);
    expect(live.map((l) => l.ip)).toContain(intToIp(ipToInt("10.0.4.70")));
  });
});
