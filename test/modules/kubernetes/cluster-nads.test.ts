import { stringify } from "yaml";
import { contains, ipToInt, overlaps, parseConfig, planNetwork } from "../../../ipam";
import { MULTUS_NODE_LABEL, ZONE_LABEL } from "../../../contract/node-label";
import { analyseNads, parseNad } from "../../../simulator/cni/nad";
import { WhereaboutsModel } from "../../../simulator/cni/whereabouts";
import { NAD_ANNOTATIONS, buildKubernetesStacks, networkDefinitions, samplePod } from "../../../modules/kubernetes";
import { EXAMPLE } from "../../ipam/cluster-helpers";
import { manifestsOf, newApp, synthJson } from "./helpers";

type Json = Record<string, any>;

describe("NADs of a cluster with several node groups", () => {
  const config = parseConfig(EXAMPLE);
  const plan = planNetwork(config);
  const nads = networkDefinitions(plan, {});
  const byName = Object.fromEntries(nads.map((n) => [n.name, n]));

  test("GIVEN the example THEN one NAD per network and zone, and per group where the network gives each group its own pod block", () => {
    expect(nads.map((n) => `${n.namespace}/${n.name}`).sort()).toEqual(
      ["default/data-us-west-2a", "default/data-us-west-2b", "storage/storage-cnf-a-us-west-2a", "storage/storage-cnf-b-us-west-2a", "storage/storage-cnf-a-us-west-2b", "storage/storage-cnf-b-us-west-2b"].sort(),
    );
  });

  test("THEN each NAD's whereabouts pool is its pod block, its master the network's device, and the blocks of one subnet do not overlap", () => {
    for (const n of nads) {
      const cni = n.cniConfig;
      expect([ipToInt(cni.ipam.range_start!), ipToInt(cni.ipam.range_end!)]).toEqual([n.pods.first, n.pods.last]);
      expect(n.pods).toEqual(n.subnet.podBlocks[n.groups[0]!]);
      expect(cni.master).toBe(n.subnet.network === "data" ? "multus1" : "multus2");
      for (const o of nads.filter((x) => x !== n && x.subnet.id === n.subnet.id)) expect(overlaps(o.pods, n.pods)).toBe(false);
    }
    expect(byName["data-us-west-2a"]!.cniConfig).toMatchObject({ type: "ipvlan", mode: "l2" });
  });

  test("THEN each NAD says where its pods can run: its zone, and its groups' nodes where other groups have nodes in the zone", () => {
    const term = (name: string) => JSON.parse((byName[name]!.manifest.metadata.annotations as Record<string, string>)[NAD_ANNOTATIONS.nodeSelectorTerm]!);
    // Every group with nodes in us-west-2a attaches data: the zone alone places its pods.
    expect(term("data-us-west-2a")).toEqual({ matchExpressions: [{ key: ZONE_LABEL, operator: "In", values: ["us-west-2a"] }] });
    // cnf-a's own storage block: cnf-b and edge also have nodes in us-west-2a.
    expect(term("storage-cnf-a-us-west-2a")).toEqual({
      matchExpressions: [
        { key: ZONE_LABEL, operator: "In", values: ["us-west-2a"] },
        { key: MULTUS_NODE_LABEL, operator: "In", values: ["cnf-a"] },
      ],
    });
    expect((byName["data-us-west-2a"]!.manifest.metadata.annotations as Record<string, string>)[NAD_ANNOTATIONS.nodeGroups]).toBe("cnf-a,cnf-b,edge");
  });

  test("GIVEN the synthesized networks stack THEN it applies exactly these NADs, and the sample pod runs on one group's nodes with that group's networks", () => {
    const stacks = buildKubernetesStacks(newApp(), config, plan, { agent: { create: false }, sample: { create: true } });
    const applied = manifestsOf(synthJson(stacks.networks));
    const byNameOf = (list: Json[]) => [...list].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    expect(byNameOf(applied.filter((m) => m.kind === "NetworkAttachmentDefinition"))).toEqual(byNameOf(nads.map((n) => n.manifest)));
    const pod = samplePod(nads);
    expect((pod.spec as Json).nodeSelector).toEqual({ [ZONE_LABEL]: "us-west-2a", [MULTUS_NODE_LABEL]: "cnf-a" });
    expect((pod.metadata.annotations as Record<string, string>)["k8s.v1.cni.cncf.io/networks"]).toBe("data-us-west-2a, storage-cnf-a-us-west-2a");
  });

  test("GIVEN every group's nodes starting their pods at once on their NADs THEN no pod address is shared or outside its group's block, and the NAD analysis finds no collision", async () => {
    const model = new WhereaboutsModel();
    const parsed = nads.map((n) => ({ def: n, nad: parseNad(stringify(n.manifest), `${n.name}.yaml`)[0]! }));
    const held = new Map<string, string>();
    const jobs: Promise<void>[] = [];
    for (const g of plan.groups) {
      for (let node = 0; node < g.maxSize; node++) {
        for (const zone of g.availabilityZones) {
          for (const { def, nad } of parsed.filter((p) => p.def.groups.includes(g.name) && p.def.subnet.availabilityZone === zone)) {
            if (nad.ipam.type !== "whereabouts") throw new Error("not whereabouts");
            const cfg = nad.ipam.config;
            for (let k = 0; k < g.podsPerNode; k++) {
              const pod = `default/${g.name}-${zone}-${node}-${def.name}-${k}`;
              jobs.push(
                model.allocate(cfg, { node: `${g.name}-${zone}-${node}`, containerId: pod, podRef: pod }, { betweenReadAndUpdate: () => new Promise((r) => setImmediate(r)) }).then(([ip]) => {
                  const key = `${def.subnet.id}/${ip}`;
                  expect(held.get(key)).toBeUndefined();
                  held.set(key, pod);
                  expect(contains(def.subnet.podBlocks[g.name]!, ipToInt(ip!))).toBe(true);
                }),
              );
            }
          }
        }
      }
    }
    await Promise.all(jobs);
    expect(held.size).toBe(plan.groups.reduce((n, g) => n + g.maxSize * g.podsPerNode * g.availabilityZones.length * g.networks.length, 0));
    const analysis = analyseNads(
      parsed.map((p) => p.nad),
      { plan: plan.subnets, nodes: 4, podsPerNode: 10 },
    );
    expect(analysis.collisions).toEqual([]);
  });
});
