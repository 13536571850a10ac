import fc from "fast-check";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NODE_NETWORK_PATHS, STARTUP_TAINT } from "../../../contract/node-network";
import { MIME_BOUNDARY, MULTUS_ENI_RULES, multusEniConfig, multusHostScript, nodeUserData, splitFlags } from "../../../modules/aws/user-data";

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
  multusEnis: fc.array(
    fc.record({
      deviceIndex: fc.integer({ min: 1, max: 14 }),
      subnetId: fc.stringMatching(/^subnet-[0-9a-f]{17}$/),
      availabilityZone: fc.constantFrom("us-west-2a", "us-west-2b", "eu-central-1c"),
    }),
    { maxLength: 4 },
  ),
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

/** The body of the heredoc `cat > PATH <<'TAG'` ... `TAG` in a script. */
function heredoc(script: string, path: string): string {
  const m = new RegExp(`cat > ${path.replace(/[.@]/g, "\\$&")} <<'([A-Z]+)'\n([\\s\\S]*?)\n\\1\n`).exec(script);
  if (!m) throw new Error(`no heredoc for ${path}`);
  return m[2]!;
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
        // The node registers tainted; the node agent lifts the taint.
        expect(doc.spec.kubelet.config.registerWithTaints).toEqual([{ key: STARTUP_TAINT.key, value: "true", effect: "NoSchedule" }]);
        expect(doc.spec.kubelet.flags ?? []).toEqual([...labelFlags(input.nodeLabels), ...flags]);
        expect(kubeletNodeLabels(doc.spec.kubelet.flags ?? [])).toEqual(input.nodeLabels);
        // The script part installs multus-eni with exactly the node group's ENIs.
        expect(heredoc(parts[2]!, NODE_NETWORK_PATHS.config) + "\n").toBe(multusEniConfig(input.multusEnis));
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
        expect(args).toBe([`--max-pods=${input.maxPods}`, `--register-with-taints=${STARTUP_TAINT.key}=true:NoSchedule`, ...labelFlags(input.nodeLabels), ...flags].join(" "));
        expect(kubeletNodeLabels(args.split(" "))).toEqual(input.nodeLabels);
        expect(text.indexOf("rp_filter")).toBeLessThan(text.indexOf("/etc/eks/bootstrap.sh"));
      }),
    );
  });

  test("GIVEN startupTaint false WHEN written for either family THEN no taint is registered", () => {
    const base = { clusterName: "c", clusterEndpoint: "https://x", clusterCertificateAuthority: "Y2E=", clusterServiceCidr: "172.20.0.0/16", maxPods: 17, kubeletFlags: "", multusEnis: [], startupTaint: false };
    expect(nodeUserData({ ...base, amiFamily: "al2023" })).not.toContain("registerWithTaints");
    expect(nodeUserData({ ...base, amiFamily: "al2" })).not.toContain("--register-with-taints");
  });

  test("GIVEN the host script WHEN written THEN it installs the repository's multus-eni verbatim, the unit udev starts, the udev rule, and runs it for the ENIs already there", () => {
    const script = multusHostScript({ multusEnis: [{ deviceIndex: 1, subnetId: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a" }], hostAddress: "dhcp" });
    expect(heredoc(script, NODE_NETWORK_PATHS.script) + "\n").toBe(readFileSync(join(__dirname, "../../../modules/aws/host/multus-eni.sh"), "utf8"));
    expect(heredoc(script, NODE_NETWORK_PATHS.config)).toBe("host-address dhcp\neni 1 subnet-0123456789abcdef0 us-west-2a");
    expect(heredoc(script, "/etc/udev/rules.d/61-multus-eni.rules") + "\n").toBe(MULTUS_ENI_RULES);
    const unit = heredoc(script, "/etc/systemd/system/multus-eni@.service");
    expect(unit).toContain(`ExecStart=${NODE_NETWORK_PATHS.script} %i`);
    expect(unit).toContain(`MULTUS_ENI_STATE_DIR=${NODE_NETWORK_PATHS.stateDir}`);
    expect(MULTUS_ENI_RULES).toContain("multus-eni@$name.service");
    // The last command configures what attached before the udev rule existed.
    expect(script.trimEnd().split("\n").pop()).toMatch(new RegExp(`${NODE_NETWORK_PATHS.script} --all`));
    // Terraform would read these as interpolations in the user data.
    expect(script).not.toMatch(/\$\{|%\{/);
  });

  test("GIVEN a real-size cluster CA, four multus ENIs and kubelet flags WHEN written for either family THEN the user data stays within EC2's 16 KB", () => {
    // "User data is limited to 16 KB, in raw form, before it is base64-encoded"
    // (EC2 user guide, "Run commands when you launch an EC2 instance with user data input").
    const input = {
      clusterName: "eks-multus-cluster",
      clusterEndpoint: "https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com",
      // An EKS cluster CA is about 1,500 base64 characters; twice that for margin.
      clusterCertificateAuthority: "A".repeat(3000),
      clusterServiceCidr: "172.20.0.0/16",
      maxPods: 58,
      kubeletFlags: "--node-labels=cnf=xyz,team=telco --kube-reserved=cpu=250m,memory=1Gi",
      nodeLabels: { "multus.eks.amazonaws.com/node-group": "ng1" },
      multusEnis: [1, 2, 3, 4].map((d) => ({ deviceIndex: d, subnetId: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a" })),
    };
    for (const amiFamily of ["al2023", "al2"] as const) expect(Buffer.byteLength(nodeUserData({ ...input, amiFamily }), "utf8")).toBeLessThanOrEqual(16 * 1024);
  });

  test("GIVEN flags separated by any whitespace WHEN split THEN no empty flag remains", () => {
    expect(splitFlags("  --a=1 \t --b=2\n")).toEqual(["--a=1", "--b=2"]);
    expect(splitFlags("")).toEqual([]);
  });
});
