import { NETWORK_STATUS_ANNOTATION, parseNetworkStatus, multusIps } from "../../agent/annotation";
import { holdsAddresses, instanceIdFromProviderId, toAgentPod } from "../../agent/kube";
import { imdsV2 } from "../../agent/imds";
import { FakeKube } from "../../simulator/kube";

describe("toAgentPod", () => {
  it("GIVEN a pod as the API returns it (Date timestamps) WHEN mapped THEN node, phase, terminating, creation time and annotations carry over", () => {
    const pod = toAgentPod({
      metadata: { name: "web-0", namespace: "shop", uid: "1f0c", annotations: { [NETWORK_STATUS_ANNOTATION]: "[]" }, creationTimestamp: new Date("2026-02-03T04:05:06Z"), deletionTimestamp: new Date("2026-02-03T05:00:00Z") },
      spec: { nodeName: "ip-10-0-0-10.ec2.internal" },
      status: { phase: "Running" },
    });
    expect(pod).toEqual({
      namespace: "shop",
      name: "web-0",
      uid: "1f0c",
      nodeName: "ip-10-0-0-10.ec2.internal",
      phase: "Running",
      terminating: true,
      createdAt: "2026-02-03T04:05:06.000Z",
      annotations: { [NETWORK_STATUS_ANNOTATION]: "[]" },
    });
  });

  it("GIVEN a pod without a uid or status WHEN mapped THEN it is dropped, or its phase is Unknown", () => {
    expect(toAgentPod({ metadata: { name: "x", namespace: "y" } })).toBeUndefined();
    expect(toAgentPod({ metadata: { name: "x", namespace: "y", uid: "u" } })).toMatchObject({ phase: "Unknown", terminating: false, nodeName: "", annotations: {} });
  });

  it.each([
    ["Running", true],
    ["Pending", true],
    ["Unknown", true],
    ["Succeeded", false],
    ["Failed", false],
  ])("GIVEN phase %s WHEN asked whether the pod holds its addresses THEN %s", (phase, holds) => {
    expect(holdsAddresses({ namespace: "n", name: "p", uid: "u", nodeName: "n1", phase, terminating: false, createdAt: "", annotations: {} })).toBe(holds);
  });
});

describe("instanceIdFromProviderId", () => {
  it.each([
    ["aws:///us-west-2a/i-0abc123def4567890", "i-0abc123def4567890"],
    ["aws:////i-0abc123def4567890", "i-0abc123def4567890"],
    ["i-0abc123def4567890", "i-0abc123def4567890"],
    ["aws:///us-west-2a/fargate-ip-10-0-1-2.us-west-2.compute.internal", undefined],
    ["gce://project/zone/vm", undefined],
    [undefined, undefined],
  ])("GIVEN providerID %s WHEN read THEN the instance id is %s", (providerId, id) => {
    expect(instanceIdFromProviderId(providerId)).toBe(id);
  });
});

describe("FakeKube", () => {
  it("GIVEN pods on two nodes WHEN one node's pods are listed and watched THEN only its pods and events are seen, with a network-status the agent's parser reads", async () => {
    const kube = new FakeKube();
    const events: string[] = [];
    await kube.watchPods("n1", (e) => events.push(`${e.type} ${e.pod.name}`), () => undefined);
    const a = kube.addPod({ name: "a", nodeName: "n1", attachments: [{ network: "default/m", ips: ["10.0.16.100"] }] });
    kube.addPod({ name: "b", nodeName: "n2", attachments: [] });
    kube.updatePod(a.uid, { phase: "Succeeded" });
    kube.deletePod(a.uid);
    expect(events).toEqual(["ADDED a", "MODIFIED a", "DELETED a"]);
    expect((await kube.listPods("n2")).map((p) => p.name)).toEqual(["b"]);
    expect(multusIps(parseNetworkStatus(a.annotations[NETWORK_STATUS_ANNOTATION]))).toEqual(["10.0.16.100"]);
  });

  it("GIVEN a stopped watch WHEN pods change THEN it sees nothing; GIVEN dropped watches THEN onClose is called once with the error", async () => {
    const kube = new FakeKube();
    const seen: string[] = [];
    const closed: unknown[] = [];
    const w = await kube.watchPods("n1", (e) => seen.push(e.type), () => undefined);
    w.stop();
    kube.addPod({ nodeName: "n1", attachments: [] });
    await kube.watchPods("n1", () => undefined, (err) => closed.push(err));
    const boom = new Error("reset");
    kube.dropWatches(boom);
    kube.dropWatches(boom);
    expect(seen).toEqual([]);
    expect(closed).toEqual([boom]);
  });
});

describe("imdsV2", () => {
  it("GIVEN IMDS answers WHEN two paths are read THEN one token is fetched with PUT and sent on both GETs", async () => {
    const calls: { url: string; method: string; headers: Record<string, string> }[] = [];
    const fake = (async (url: string, init: { method?: string; headers?: Record<string, string> }) => {
      calls.push({ url, method: init.method ?? "GET", headers: init.headers ?? {} });
      const body = url.endsWith("/api/token") ? "TOKEN" : url.endsWith("instance-id") ? "i-0123456789abcdef0" : "t3.medium";
      return new Response(body, { status: 200 });
    }) as unknown as typeof fetch;
    const get = imdsV2(fake);
    expect(await get("meta-data/instance-id")).toBe("i-0123456789abcdef0");
    expect(await get("meta-data/instance-type")).toBe("t3.medium");
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "PUT http://169.254.169.254/latest/api/token",
      "GET http://169.254.169.254/latest/meta-data/instance-id",
      "GET http://169.254.169.254/latest/meta-data/instance-type",
    ]);
    expect(calls[1]!.headers["X-aws-ec2-metadata-token"]).toBe("TOKEN");
  });

  it("GIVEN IMDS refuses the token WHEN read THEN the error says so", async () => {
    const fake = (async () => new Response("", { status: 403 })) as unknown as typeof fetch;
    await expect(imdsV2(fake)("meta-data/instance-id")).rejects.toThrow("IMDSv2 token: HTTP 403");
  });
});
