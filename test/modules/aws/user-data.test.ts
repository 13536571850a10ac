import fc from "fast-check";
import { parse } from "yaml";
import { MIME_BOUNDARY, nodeUserData, splitFlags } from "../../../modules/aws/user-data";

// Other flags than --node-labels, so the labels the kubelet ends up with are the input's.
const flagArb = fc.stringMatching(/^--[a-z][a-z-]{0,20}=[A-Za-z0-9=,:./-]{1,30}$/).filter((f) => !f.startsWith("--node-labels="));
const inputArb = fc.record({
  clusterName: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$/),
  clusterEndpoint: fc.stringMatching(/^https:\/\/[A-Z0-9]{8,32}\.gr7\.[a-z]{2}-[a-z]+-\d\.eks\.amazonaws\.com$/),
  clusterCertificateAuthority: fc.base64String({ minLength: 4, maxLength: 2400 }).filter((s) => s.length > 0),
  clusterServiceCidr: fc.constantFrom("172.20.0.0/16", "10.100.0.0/16"),
  maxPods: fc.integer({ min: 1, max: 737 }),
  flags: fc.array(flagArb, { maxLength: 4 }),
  nodeLabels: fc.dictionary(fc.stringMatching(/^([a-z0-9.-]{1,20}\/)?[a-z][a-z0-9-]{0,20}$/), fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?$/), { maxKeys: 3 }),
});

/** The one flag the labels should become, or none. */
function labelFlags(nodeLabels: Record<string, string>): string[] {
  const pairs = Object.entries(nodeLabels).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? [`--node-labels=${pairs.join(",")}`] : [];
}

/** What the kubelet makes of repeated --node-labels flags: one map, later flags winning. */
function kubeletNodeLabels(flags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const f of flags.filter((x) => x.startsWith("--node-labels="))) {
    for (const pair of f.slice("--node-labels=".length).split(",")) labels[pair.slice(0, pair.indexOf("="))] = pair.slice(pair.indexOf("=") + 1);
  }
  return labels;
}

describe("nodeUserData", () => {
  test("GIVEN any cluster, max-pods, node labels and kubelet flags WHEN written for al2023 THEN nodeadm reads back exactly them, the labels as the first flag", () => {
    fc.assert(
      fc.property(inputArb, ({ flags, ...input }) => {
        const text = nodeUserData({ ...input, amiFamily: "al2023", kubeletFlags: flags.join(" ") });
        const parts = text.split(`--${MIME_BOUNDARY}`);
        // Preamble, NodeConfig, script, closing "--".
        expect(parts).toHaveLength(4);
        expect(parts[3]!.trim()).toBe("--");
        const part = parts[1]!;
        const doc = parse(part.slice(part.indexOf("---")));
        expect(doc.spec.cluster).toEqual({
          name: input.clusterName,
          apiServerEndpoint: input.clusterEndpoint,
          certificateAuthority: input.clusterCertificateAuthority,
          cidr: input.clusterServiceCidr,
        });
        expect(doc.spec.kubelet.config.maxPods).toBe(input.maxPods);
        expect(doc.spec.kubelet.flags ?? []).toEqual([...labelFlags(input.nodeLabels), ...flags]);
        expect(kubeletNodeLabels(doc.spec.kubelet.flags ?? [])).toEqual(input.nodeLabels);
        expect(text).not.toMatch(/\$\{|%\{/);
      }),
    );
  });

  test("GIVEN any input WHEN written for al2 THEN bootstrap.sh gets the plan's max-pods and the node labels before the user's flags", () => {
    fc.assert(
      fc.property(inputArb, ({ flags, ...input }) => {
        const text = nodeUserData({ ...input, amiFamily: "al2", kubeletFlags: flags.join(" ") });
        const line = text.split("\n").find((l) => l.startsWith("/etc/eks/bootstrap.sh"))!;
        expect(line).toContain(`'${input.clusterName}'`);
        expect(line).toContain("--use-max-pods false");
        expect(line).toContain(`--b64-cluster-ca '${input.clusterCertificateAuthority}'`);
        const args = /--kubelet-extra-args '([^']*)'/.exec(line)![1]!;
        expect(args).toBe([`--max-pods=${input.maxPods}`, ...labelFlags(input.nodeLabels), ...flags].join(" "));
        expect(kubeletNodeLabels(args.split(" "))).toEqual(input.nodeLabels);
        expect(text.indexOf("rp_filter")).toBeLessThan(text.indexOf("/etc/eks/bootstrap.sh"));
      }),
    );
  });

  test("GIVEN flags separated by any whitespace WHEN split THEN no empty flag remains", () => {
    expect(splitFlags("  --a=1 \t --b=2\n")).toEqual(["--a=1", "--b=2"]);
    expect(splitFlags("")).toEqual([]);
  });
});
