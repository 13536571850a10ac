import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { HostLocalModel, hostLocalConfig } from "../../../simulator/cni/host-local";
import { report } from "../../report";

/**
 * The model against the real host-local binary (Debian containernetworking-plugins 1.1.1).
 * IPAM plugins run without root or a network namespace when called directly; each node gets
 * its own dataDir, as each node has its own disk.
 */
const HOST_LOCAL = "/usr/lib/cni/host-local";
const haveBinary = existsSync(HOST_LOCAL);
if (!haveBinary) {
  report(`skipping the real host-local comparison: ${HOST_LOCAL} is absent (apt-get install -y containernetworking-plugins)`);
}
const realTest = haveBinary ? test : test.skip;

type Ipam = Record<string, unknown>;

/** Runs the real plugin: ADD returns the addresses (without prefix) or "error"; DEL returns []. */
function real(root: string, name: string, ipam: Ipam, command: "ADD" | "DEL", node: string, containerId: string, ifName = "net1"): string[] | "error" {
  const conf = { cniVersion: "0.3.1", name, type: "ipvlan", ipam: { ...ipam, dataDir: join(root, node) } };
  const res = spawnSync(HOST_LOCAL, [], {
    input: JSON.stringify(conf),
    encoding: "utf8",
    env: { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: "/x", CNI_IFNAME: ifName, CNI_PATH: "/usr/lib/cni" },
  });
  if (res.status !== 0) return "error";
  if (command === "DEL") return [];
  const out = JSON.parse(res.stdout) as { ips: { address: string }[] };
  return out.ips.map((i) => i.address.split("/")[0]!);
}

function model(m: HostLocalModel, name: string, ipam: Ipam, command: "ADD" | "DEL", node: string, containerId: string, ifName = "net1"): string[] | "error" {
  const config = hostLocalConfig(ipam, name);
  if (command === "DEL") {
    m.del(node, config, containerId, ifName);
    return [];
  }
  try {
    return m.add(node, config, containerId, ifName);
  } catch {
    return "error";
  }
}

/** The reference system's example NAD (seed README, "Create NetworkAttachmentDefinition"). */
const SEED_IPAM = { type: "host-local", subnet: "10.0.4.0/24", rangeStart: "10.0.4.70", rangeEnd: "10.0.4.80", gateway: "10.0.4.1" };

const tmp = () => mkdtempSync(join(tmpdir(), "host-local-"));

describe("host-local model against the real plugin", () => {
  realTest("GIVEN the reference NAD on 3 nodes WHEN each node starts 3 pods THEN the plugin and the model give the same addresses, and every node hands out the same ones", () => {
    const root = tmp();
    const m = new HostLocalModel();
    const byNode = new Map<string, string[]>();
    for (const node of ["node-a", "node-b", "node-c"]) {
      for (let pod = 0; pod < 3; pod++) {
        const id = `${node}-pod${pod}`;
        const r = real(root, "ipvlan-conf-1", SEED_IPAM, "ADD", node, id);
        expect(r).toEqual(model(m, "ipvlan-conf-1", SEED_IPAM, "ADD", node, id));
        byNode.set(node, [...(byNode.get(node) ?? []), ...(r as string[])]);
      }
    }
    rmSync(root, { recursive: true, force: true });
    const all = [...byNode.values()].flat();
    const duplicates = new Set(all.filter((ip, i) => all.indexOf(ip) !== i));
    // Each node's store starts empty, so each node's first pods get the same addresses.
    expect(duplicates.size).toBe(3);
    expect(new Set(byNode.get("node-a"))).toEqual(new Set(byNode.get("node-b")));
  });

  realTest("GIVEN pods released WHEN new pods start THEN both continue after the last reserved address, not from the lowest free one", () => {
    const root = tmp();
    const m = new HostLocalModel();
    const step = (cmd: "ADD" | "DEL", id: string) => {
      const r = real(root, "net", SEED_IPAM, cmd, "n1", id);
      expect(r).toEqual(model(m, "net", SEED_IPAM, cmd, "n1", id));
      return r;
    };
    const first = step("ADD", "a");
    step("ADD", "b");
    step("DEL", "a");
    const next = step("ADD", "c");
    rmSync(root, { recursive: true, force: true });
    // The freed first address is not reused at once: round robin resumes after the last one.
    expect(next).not.toEqual(first);
  });

  const ranges16 = fc
    .tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 14 }))
    .map(([start, len, gw]) => ({ type: "host-local", subnet: "10.0.4.0/28", rangeStart: `10.0.4.${start}`, rangeEnd: `10.0.4.${Math.min(14, start + len)}`, gateway: `10.0.4.${gw}` }) as Ipam);
  const fixed: Ipam[] = [
    SEED_IPAM,
    { type: "host-local", subnet: "10.0.4.0/29" },
    {
      type: "host-local",
      ranges: [
        [
          { subnet: "10.0.4.0/29", rangeStart: "10.0.4.2", rangeEnd: "10.0.4.4", gateway: "10.0.4.3" },
          { subnet: "10.0.5.0/29", rangeStart: "10.0.5.1", rangeEnd: "10.0.5.2" },
        ],
      ],
    },
    { type: "host-local", ranges: [[{ subnet: "10.0.4.0/29" }], [{ subnet: "10.0.6.0/30" }]] },
  ];
  const op = fc.record({
    cmd: fc.constantFrom<"ADD" | "DEL">("ADD", "ADD", "DEL"),
    node: fc.constantFrom("n1", "n2"),
    id: fc.constantFrom("c0", "c1", "c2", "c3", "c4", "c5", "c6"),
    ifName: fc.constantFrom("net1", "net1", "net2"),
  });

  realTest("GIVEN any ranges and any sequence of ADD and DEL on two nodes THEN the model returns what the plugin returns at every step", () => {
    fc.assert(
      fc.property(fc.oneof(ranges16, fc.constantFrom(...fixed)), fc.array(op, { minLength: 1, maxLength: 30 }), (ipam, ops) => {
        const root = tmp();
        const m = new HostLocalModel();
        try {
          for (const o of ops) {
            expect(model(m, "prop", ipam, o.cmd, o.node, o.id, o.ifName)).toEqual(real(root, "prop", ipam, o.cmd, o.node, o.id, o.ifName));
          }
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 10 },
    );
  });
});
