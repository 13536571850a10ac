import { parseAgentEnv, resolveIdentity } from "../../agent/config";
import { instanceLimits, multusPodsPerEni } from "../../ipam/capacity";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { FakeKube } from "../../simulator/kube";

const BASE = { NODE_NAME: "ip-10-0-0-10.us-west-2.compute.internal", AWS_REGION: "us-west-2" };

describe("parseAgentEnv", () => {
  it("GIVEN only the variables the DaemonSet sets WHEN parsed THEN the defaults apply: 30 s resync, the node-group tag key, any tag value", () => {
    const c = parseAgentEnv({ ...BASE, SYNC_PERIOD_SECONDS: "30" });
    expect(c).toEqual({
      nodeName: BASE.NODE_NAME,
      region: "us-west-2",
      syncPeriodSeconds: 30,
      tagKey: ENI_TAG_KEYS.nodeGroup,
      debounceMs: 500,
      // Where the DaemonSet mounts the host's multus-eni state and CNI configuration.
      host: { stateDir: "/host/run/multus-eks", multusCniConfig: "/host/etc/cni/net.d/00-multus.conf", sysClassNet: "/sys/class/net" },
    });
  });

  it("GIVEN every override WHEN parsed THEN each is used", () => {
    const c = parseAgentEnv({ ...BASE, INSTANCE_ID: "i-0123456789abcdef0", INSTANCE_TYPE: "c5.xlarge", MULTUS_ENI_TAG_KEY: "k", MULTUS_NODE_GROUP_TAG: "ng-1", DEBOUNCE_MILLISECONDS: "0", SYNC_PERIOD_SECONDS: "3600" });
    expect(c).toMatchObject({ instanceId: "i-0123456789abcdef0", instanceType: "c5.xlarge", tagKey: "k", tagValue: "ng-1", debounceMs: 0, syncPeriodSeconds: 3600 });
  });

  it.each([
    [{ AWS_REGION: "us-west-2" }, /^NODE_NAME: is not set\. Fix: set it from the pod's spec\.nodeName/],
    [{ ...BASE, NODE_NAME: "Node_1" }, /^NODE_NAME: "Node_1" is not a node name/],
    [{ NODE_NAME: BASE.NODE_NAME }, /^AWS_REGION: is not set/],
    [{ ...BASE, AWS_REGION: "uswest2" }, /^AWS_REGION: "uswest2" is not an AWS region/],
    [{ ...BASE, SYNC_PERIOD_SECONDS: "4" }, /^SYNC_PERIOD_SECONDS: must be a whole number from 5 to 3600, got "4"/],
    [{ ...BASE, SYNC_PERIOD_SECONDS: "30s" }, /^SYNC_PERIOD_SECONDS: must be a whole number/],
    [{ ...BASE, DEBOUNCE_MILLISECONDS: "-1" }, /^DEBOUNCE_MILLISECONDS: must be a whole number from 0 to 60000/],
    [{ ...BASE, INSTANCE_ID: "node-1" }, /^INSTANCE_ID: "node-1" is not an EC2 instance id/],
    [{ ...BASE, INSTANCE_TYPE: "c5.huge" }, /^INSTANCE_TYPE: unknown instance type "c5.huge"/],
    [{ ...BASE, MULTUS_ENI_TAG_KEY: "aws:foo" }, /^MULTUS_ENI_TAG_KEY: "aws:foo" is not a valid EC2 tag key/],
  ])("GIVEN %j WHEN parsed THEN the error names the variable and the fix", (env, message) => {
    expect(() => parseAgentEnv(env)).toThrow(message);
    expect(() => parseAgentEnv(env)).toThrow(/Fix: /);
  });
});

describe("resolveIdentity", () => {
  const noImds = async (path: string): Promise<string> => {
    throw new Error(`no IMDS (${path})`);
  };

  it("GIVEN a node with an AWS providerID and an instance-type label WHEN resolved THEN both come from the node and the limit from the type", async () => {
    const kube = new FakeKube();
    kube.addNode(BASE.NODE_NAME, { providerId: "aws:///us-west-2a/i-0abc123def4567890", labels: { "node.kubernetes.io/instance-type": "t3.medium" } });
    const id = await resolveIdentity(parseAgentEnv(BASE), kube, noImds);
    expect(id).toEqual({
      instanceId: "i-0abc123def4567890",
      instanceType: "t3.medium",
      podsPerEni: multusPodsPerEni(instanceLimits("t3.medium")),
      sources: { instanceId: "node providerID", instanceType: "node label" },
    });
  });

  it("GIVEN the environment names the instance WHEN resolved THEN the node and IMDS are not asked", async () => {
    const kube = new FakeKube();
    const getNode = jest.spyOn(kube, "getNode");
    const id = await resolveIdentity(parseAgentEnv({ ...BASE, INSTANCE_ID: "i-0123456789abcdef0", INSTANCE_TYPE: "m5.large" }), kube, noImds);
    expect(id).toMatchObject({ instanceId: "i-0123456789abcdef0", instanceType: "m5.large", sources: { instanceId: "env", instanceType: "env" } });
    expect(getNode).not.toHaveBeenCalled();
  });

  it("GIVEN no Node object WHEN resolved THEN IMDSv2 answers; GIVEN an instance type missing from the table THEN the limit is unknown, not an error", async () => {
    const imds = async (path: string) => (path === "meta-data/instance-id" ? "i-0fedcba9876543210\n" : "x9.future");
    const id = await resolveIdentity(parseAgentEnv(BASE), new FakeKube(), imds);
    expect(id).toEqual({ instanceId: "i-0fedcba9876543210", instanceType: "x9.future", sources: { instanceId: "IMDSv2", instanceType: "IMDSv2" } });
  });

  it("GIVEN neither the node nor IMDS knows the instance WHEN resolved THEN the error says to set INSTANCE_ID", async () => {
    await expect(resolveIdentity(parseAgentEnv(BASE), new FakeKube(), noImds)).rejects.toThrow(/^INSTANCE_ID: could not be found .* Fix: set INSTANCE_ID/);
  });
});
