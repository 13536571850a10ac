import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { STARTUP_TAINT } from "../../contract/node-network";
import { fileHostView, liftStartupTaint, networkReadiness, newTaintMemory, readHost } from "../../agent/readiness";
import { LogLine, NodeEni } from "../../agent/reconcile";
import { FakeKube } from "../../simulator/kube";
import { SimHost } from "../../simulator/node-host";
import { FAKE_ENI_MAC, writeReadyHost } from "./fake-servers";

const MAC1 = "02:00:00:00:01:01";
const MAC2 = "02:00:00:00:01:02";
const eni = (device: number, mac: string, status = "attached"): NodeEni => ({ eniId: `eni-${device}`, subnetId: `subnet-${device}`, deviceIndex: device, primaryIp: `10.0.${device}.10`, secondaryIps: [], ipv6s: [], macAddress: mac, attachmentStatus: status });

/** A host where multus-eni named both devices and Multus is configured. */
function readyHost(): SimHost {
  const host = new SimHost();
  host.setExpected([1, 2]);
  host.plug("ens6", MAC1);
  host.plug("enp40s0", MAC2);
  host.configure("ens6", 1, "subnet-1");
  host.configure("enp40s0", 2, "subnet-2");
  host.multus = true;
  return host;
}

const ENIS = [eni(1, MAC1), eni(2, MAC2)];

describe("networkReadiness", () => {
  it("GIVEN every expected device attached in EC2, named, up and Multus configured THEN ready", async () => {
    expect(networkReadiness({ ...(await readHost(readyHost())), enis: ENIS })).toEqual({ ready: true, waitingFor: [] });
  });

  it.each<[string, (h: SimHost) => void, NodeEni[], RegExp]>([
    ["multus-eni has not run", (h) => (h.expected = undefined), ENIS, /multus-eni has not run on the node yet/],
    ["device 2 is not attached in EC2 yet", () => undefined, [ENIS[0]!], /device 2: no multus ENI of this node is attached at device index 2/],
    ["device 2 is still attaching", () => undefined, [ENIS[0]!, eni(2, MAC2, "attaching")], /device 2: eni-2 is attaching/],
    ["device 2 is attached but not named", (h) => h.records.delete(2), ENIS, /device 2: multus-eni has not named it yet/],
    ["the record's MAC is not the attached ENI's", () => undefined, [ENIS[0]!, eni(2, "02:00:00:00:09:09")], /device 2: the host named enp40s0 \(02:00:00:00:01:02\), but EC2 has eni-2 \(02:00:00:00:09:09\)/],
    ["the interface is down", (h) => h.links.set("ens6", { mac: MAC1, up: false }), ENIS, /device 1: interface ens6 is down/],
    ["the interface went away", (h) => h.links.delete("ens6"), ENIS, /device 1: interface ens6 \(02:00:00:00:01:01\) is gone/],
    ["Multus has not written its configuration", (h) => (h.multus = false), ENIS, /Multus has not written \/etc\/cni\/net.d\/00-multus.conf/],
  ])("GIVEN %s THEN not ready, and it says so", async (_, change, enis, reason) => {
    const host = readyHost();
    change(host);
    const r = networkReadiness({ ...(await readHost(host)), enis });
    expect(r.ready).toBe(false);
    expect(r.waitingFor.join("\n")).toMatch(reason);
  });
});

describe("fileHostView", () => {
  it("GIVEN multus-eni's files, sysfs and Multus's configuration THEN it reads what the script wrote; a bad record and a missing state read as not ready", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readiness-"));
    try {
      const env = writeReadyHost(dir);
      const view = fileHostView({ stateDir: env.MULTUS_ENI_STATE_DIR!, sysClassNet: env.SYS_CLASS_NET!, multusCniConfig: env.MULTUS_CNI_CONFIG! });
      const read = await readHost(view);
      expect(read.expected).toEqual([1]);
      expect(read.records).toEqual([{ device: 1, interface: "ens6", altname: "multus1", mac: FAKE_ENI_MAC, subnet: "subnet-0a1" }]);
      expect(read.links.get("ens6")).toEqual({ mac: FAKE_ENI_MAC, up: true });
      expect(networkReadiness({ ...read, enis: [eni(1, FAKE_ENI_MAC)] }).ready).toBe(true);

      // IFF_UP cleared: flags 0x1002.
      fs.writeFileSync(path.join(env.SYS_CLASS_NET!, "ens6", "flags"), "0x1002\n");
      expect((await view.link("ens6"))!.up).toBe(false);
      fs.writeFileSync(path.join(env.MULTUS_ENI_STATE_DIR!, "enis", "2"), "device=2\ninterface=ens7\n");
      expect((await view.eniRecords()).unreadable.join()).toMatch(/enis\/2: has no mac=/);
      fs.rmSync(env.MULTUS_CNI_CONFIG!);
      expect(await view.multusConfigured()).toBe(false);
      const empty = fileHostView({ stateDir: path.join(dir, "none"), sysClassNet: path.join(dir, "none"), multusCniConfig: path.join(dir, "none") });
      expect(networkReadiness({ ...(await readHost(empty)), enis: [] }).waitingFor.join()).toMatch(/multus-eni has not run/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("liftStartupTaint", () => {
  const NODE = "ip-10-0-0-10.us-west-2.compute.internal";
  const OTHER = { key: "dedicated", value: "telco", effect: "NoSchedule" };
  function cluster(taints = [{ ...STARTUP_TAINT }, OTHER]) {
    const kube = new FakeKube();
    kube.addNode(NODE, { taints });
    const lines: LogLine[] = [];
    return { kube, lines, deps: (host: SimHost, memory = newTaintMemory()) => ({ kube, nodeName: NODE, host, memory, log: (l: LogLine) => lines.push(l) }) };
  }

  it("GIVEN a tainted node whose network becomes ready WHEN rounds run THEN the taint stays while waiting (logged once per change) and then only it is removed", async () => {
    const { kube, lines, deps } = cluster();
    const host = readyHost();
    host.multus = false;
    const d = deps(host);
    expect(await liftStartupTaint(d, ENIS)).toBe("waiting");
    expect(await liftStartupTaint(d, ENIS)).toBe("waiting");
    expect(lines.filter((l) => l.msg.startsWith("startup taint stays"))).toHaveLength(1);
    expect(kube.nodeTaints(NODE).map((t) => t.key)).toContain(STARTUP_TAINT.key);
    host.multus = true;
    expect(await liftStartupTaint(d, ENIS)).toBe("lifted");
    expect(kube.nodeTaints(NODE)).toEqual([OTHER]);
    // Done for this agent run: no more reads of the node.
    const get = jest.spyOn(kube, "getNode");
    expect(await liftStartupTaint(d, ENIS)).toBe("absent");
    expect(get).not.toHaveBeenCalled();
  });

  it("GIVEN another controller changes the node's taints between the read and the patch THEN the patch is refused (409), its taint survives, and the next round lifts ours", async () => {
    const { kube, deps } = cluster();
    const d = deps(readyHost());
    const real = kube.getNode.bind(kube);
    jest.spyOn(kube, "getNode").mockImplementationOnce(async (name) => {
      const seen = await real(name);
      kube.setNodeTaints(NODE, [...kube.nodeTaints(NODE), { key: "karpenter.sh/disrupted", effect: "NoSchedule" }]);
      return seen;
    });
    expect(await liftStartupTaint(d, ENIS)).toBe("failed");
    expect(kube.nodeTaints(NODE).map((t) => t.key)).toEqual([STARTUP_TAINT.key, "dedicated", "karpenter.sh/disrupted"]);
    expect(await liftStartupTaint(d, ENIS)).toBe("lifted");
    expect(kube.nodeTaints(NODE).map((t) => t.key)).toEqual(["dedicated", "karpenter.sh/disrupted"]);
  });

  it("GIVEN a node without the taint (lifted before a restart, or registered without it) THEN nothing is patched, whatever the host says", async () => {
    const { kube, deps } = cluster([OTHER]);
    const patch = jest.spyOn(kube, "removeNodeTaint");
    expect(await liftStartupTaint(deps(new SimHost()), [])).toBe("absent");
    expect(patch).not.toHaveBeenCalled();
  });

  it("GIVEN the API failing THEN the round reports failed and changes nothing", async () => {
    const { kube, deps } = cluster();
    kube.setFaults({ patchFails: () => true });
    expect(await liftStartupTaint(deps(readyHost()), ENIS)).toBe("failed");
    expect(kube.nodeTaints(NODE).map((t) => t.key)).toContain(STARTUP_TAINT.key);
  });
});
