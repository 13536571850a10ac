import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseEniRecord, parseExpectedDevices } from "../../../../contract/node-network";
import { intToIp } from "../../../../ipam";
import { NetworkDefinition, networkDefinitions } from "../../../../modules/kubernetes";
import { multusEniConfig } from "../../../../modules/aws/user-data";
import { DEFAULT } from "../../kubernetes/helpers";
import { report } from "../../../report";

/**
 * The real multus-eni script (what the user data installs) against a fake IMDSv2 and veth pairs
 * standing in for ENIs, in a network namespace this test creates; then the real CNI plugins
 * (Debian containernetworking-plugins) attach pods through the names it gave, with each
 * generated NAD's config (its IPAM swapped for `static`: whereabouts needs an API server).
 * Needs root, `ip netns`, curl and /usr/lib/cni/macvlan; says why it skips otherwise.
 */
const SCRIPT = join(__dirname, "../../../../modules/aws/host/multus-eni.sh");
const FAKE_IMDS = join(__dirname, "fake-imds.cjs");
const CNI = "/usr/lib/cni";

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  return spawnSync(cmd, args, { encoding: "utf8", env: opts.env ?? process.env, input: opts.input, timeout: 60_000 });
}

function whyNot(): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root (network namespaces and veth pairs need CAP_NET_ADMIN)";
  for (const tool of ["ip", "curl", "flock", "bash"]) if (run("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  if (!existsSync(`${CNI}/macvlan`)) return `${CNI}/macvlan is absent (apt-get install -y containernetworking-plugins)`;
  const probe = `mte-probe-${process.pid}`;
  const made = run("ip", ["netns", "add", probe]);
  if (made.status !== 0) return `ip netns add failed: ${made.stderr.trim()}`;
  run("ip", ["netns", "del", probe]);
  return undefined;
}

const skip = whyNot();
if (skip) report(`skipping multus-eni against a fake IMDS and real CNI plugins: ${skip}`);
const rootTest = skip ? test.skip : test;

/**
 * The instance: its primary ENI, two multus ENIs named as two instance families would name them,
 * a VPC CNI ENI, and a second ENI in a multus subnet that someone attached at a device index the
 * plan does not give that subnet.
 */
const [SUBNET_A, SUBNET_B] = DEFAULT.plan.subnets.map((s) => s.id) as [string, string];
const ZONE = DEFAULT.plan.subnets[0]!.availabilityZone;
const NODE_SUBNET = "subnet-0000000000000node";
const PRIMARY = { iface: "ens5", mac: "02:00:00:00:00:05", subnet: NODE_SUBNET, device: 0 };
const MULTUS = [
  { iface: "enp40s0", mac: "02:00:00:00:00:41", subnet: SUBNET_A, device: 1 },
  { iface: "ens34", mac: "02:00:00:00:00:34", subnet: SUBNET_B, device: 2 },
];
const VPC_CNI = { iface: "ens7", mac: "02:00:00:00:00:07", subnet: NODE_SUBNET, device: 3 };
const STRAY = { iface: "ens8", mac: "02:00:00:00:00:08", subnet: SUBNET_A, device: 4 };
const ENIS = [PRIMARY, ...MULTUS, VPC_CNI, STRAY];

interface LinkJson {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  altnames?: string[];
  link_index?: number;
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

class Host {
  readonly ns = `mte-${process.pid}`;
  readonly dir = mkdtempSync(join(tmpdir(), "multus-eni-"));
  private imds?: ChildProcess;
  private readonly netns: string[] = [];
  imdsPort = 0;

  constructor() {
    this.addNetns(this.ns);
    this.ip("link", "set", "lo", "up");
    for (const e of ENIS) {
      this.ip("link", "add", "name", e.iface, "address", e.mac, "type", "veth", "peer", "name", `${e.iface}p`);
      this.ip("link", "set", `${e.iface}p`, "up");
    }
    writeFileSync(join(this.dir, "conf"), multusEniConfig(DEFAULT.plan.subnets.map((s) => ({ deviceIndex: s.deviceIndex, subnetId: s.id, availabilityZone: s.availabilityZone }))));
    // Stands in for networkctl: records what the script asks networkd to do.
    writeFileSync(join(this.dir, "networkctl"), `#!/bin/sh\necho "$*" >> ${join(this.dir, "networkctl.log")}\n`);
    chmodSync(join(this.dir, "networkctl"), 0o755);
  }

  addNetns(name: string): string {
    const r = run("ip", ["netns", "add", name]);
    if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr}`);
    this.netns.push(name);
    return name;
  }

  ip(...args: string[]): string {
    const r = run("ip", ["-n", this.ns, ...args]);
    if (r.status !== 0) throw new Error(`ip -n ${this.ns} ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  }

  link(dev: string, netns = this.ns): LinkJson | undefined {
    const r = run("ip", ["-n", netns, "-d", "-j", "addr", "show", "dev", dev]);
    return r.status === 0 ? (JSON.parse(r.stdout) as LinkJson[])[0] : undefined;
  }

  sysctl(path: string): string {
    return run("ip", ["netns", "exec", this.ns, "cat", `/proc/sys/${path}`]).stdout.trim();
  }

  imdsLog(): { method: string; path: string; token: string | null }[] {
    const file = join(this.dir, "imds.log");
    return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l)) : [];
  }

  /** Starts the fake IMDS inside the namespace, on its 127.0.0.1. */
  async startImds(spec: object): Promise<void> {
    this.imds = spawn("ip", ["netns", "exec", this.ns, process.execPath, FAKE_IMDS, JSON.stringify({ ...spec, log: join(this.dir, "imds.log") })], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = createInterface({ input: this.imds.stdout! });
    this.imdsPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("fake IMDS did not start")), 10_000);
      lines.once("line", (line) => {
        clearTimeout(timer);
        const port = /^port (\d+)$/.exec(line);
        if (port) resolve(Number(port[1]));
        else reject(new Error(`fake IMDS said ${line}`));
      });
    });
  }

  async stopImds(): Promise<void> {
    if (!this.imds || this.imds.exitCode !== null) return;
    const done = new Promise((resolve) => this.imds!.once("exit", resolve));
    this.imds.kill("SIGTERM");
    await done;
  }

  /** Runs the script in the namespace, as udev's unit would, with its paths under the test's directory. */
  multusEni(...args: string[]) {
    return run("ip", ["netns", "exec", this.ns, "bash", SCRIPT, ...args], {
      env: {
        PATH: process.env.PATH,
        MULTUS_ENI_CONF: join(this.dir, "conf"),
        MULTUS_ENI_STATE_DIR: join(this.dir, "state"),
        MULTUS_ENI_IMDS: `http://127.0.0.1:${this.imdsPort}`,
        MULTUS_ENI_NETWORKD: "yes",
        MULTUS_ENI_NETWORKD_DIR: join(this.dir, "network"),
        MULTUS_ENI_NETWORKCTL: join(this.dir, "networkctl"),
        MULTUS_ENI_TRIES: "10",
        MULTUS_ENI_INTERVAL: "0.05",
      },
    });
  }

  /** Runs a CNI plugin in the host namespace for a pod namespace, as the container runtime does. */
  cni(plugin: string, command: "ADD" | "DEL", conf: object, podNs: string, containerId: string) {
    return run("ip", ["netns", "exec", this.ns, `${CNI}/${plugin}`], {
      input: JSON.stringify(conf),
      env: { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: `/var/run/netns/${podNs}`, CNI_IFNAME: "net1", CNI_PATH: CNI, PATH: process.env.PATH },
    });
  }

  async close(): Promise<void> {
    await this.stopImds();
    for (const n of this.netns.reverse()) run("ip", ["netns", "del", n]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A pod's attachment through a NAD's config, IPAM swapped for static: the pod block's first address. */
function podConf(nad: NetworkDefinition) {
  const address = `${intToIp(nad.subnet.pods.first)}/${nad.subnet.subnet.prefix}`;
  return { address, conf: { ...nad.cniConfig, ipam: { type: "static", addresses: [{ address }] } } };
}

// The suite shares one node: the script runs three times (curl is slow to start on small machines).
describe("multus-eni on a node (fake IMDS, veth ENIs, real CNI plugins)", () => {
  let host: Host;
  beforeAll(async () => {
    if (skip) return;
    host = new Host();
    await host.startImds({
      mac: PRIMARY.mac,
      zone: ZONE,
      macs: Object.fromEntries(ENIS.map((e) => [e.mac, { "subnet-id": e.subnet, "device-number": String(e.device) }])),
      // A hot-plugged ENI: its subnet is not there yet on the first read, its device-number reads 0.
      lag: { [MULTUS[0]!.mac]: { "subnet-id": 1, "device-number": 1 } },
    });
  });
  afterAll(async () => {
    if (!skip) await host.close();
  });

  rootTest("GIVEN multus ENIs named by two instance families, hot-plugged with a lagging IMDS, one with a host address from an earlier DHCP configuration WHEN multus-eni runs THEN each gets multus<device>, is up with MTU 9001 and rp_filter 0, keeps no address, gets a networkd file that wins, and is recorded for the agent; the primary and the VPC CNI ENI are left alone", () => {
    // As nodeadm's DHCP configuration would have left it, had the ENI attached before its run marker.
    host.ip("addr", "add", "10.0.4.9/24", "dev", "enp40s0");
    run("ip", ["netns", "exec", host.ns, "sysctl", "-qw", "net.ipv4.conf.enp40s0.rp_filter=1"]);

    const r = host.multusEni(PRIMARY.iface, ...MULTUS.map((e) => e.iface), VPC_CNI.iface);
    expect({ status: r.status, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ status: 0, stderr: "" });

    for (const e of MULTUS) {
      const byName = host.link(`multus${e.device}`)!;
      expect(byName.ifname).toBe(e.iface);
      expect(byName.altnames).toEqual([`multus${e.device}`]);
      expect(byName.flags).toContain("UP");
      expect(byName.mtu).toBe(9001);
      expect((byName.addr_info ?? []).filter((a) => a.family === "inet")).toEqual([]);
      expect(host.sysctl(`net/ipv4/conf/${e.iface}/rp_filter`)).toBe("0");
      const network = readFileSync(join(host.dir, "network", `60-multus-${e.iface}.network`), "utf8");
      expect(network).toContain(`PermanentMACAddress=${e.mac}`);
      expect(network).toMatch(/^DHCP=no$/m);
      expect(network).toMatch(/^LinkLocalAddressing=no$/m);
      const record = parseEniRecord(readFileSync(join(host.dir, "state", "enis", String(e.device)), "utf8"), "record");
      expect(record).toEqual({ device: e.device, interface: e.iface, altname: `multus${e.device}`, mac: e.mac, subnet: e.subnet });
    }
    for (const e of [PRIMARY, VPC_CNI]) {
      expect(host.link(e.iface)!.altnames ?? []).toEqual([]);
      expect(existsSync(join(host.dir, "network", `60-multus-${e.iface}.network`))).toBe(false);
    }
    expect(readdirSync(join(host.dir, "state", "enis")).sort()).toEqual(["1", "2"]);
    expect(parseExpectedDevices(readFileSync(join(host.dir, "state", "expected"), "utf8"), "expected")).toEqual([1, 2]);
    expect(readFileSync(join(host.dir, "networkctl.log"), "utf8").trim().split("\n")).toEqual(["reload", "reconfigure enp40s0", "reload", "reconfigure ens34"]);
    // IMDSv2: a token first, every read with it; the lagging entries were read until they answered.
    const log = host.imdsLog();
    expect(log[0]).toMatchObject({ method: "PUT", path: "/latest/api/token" });
    expect(log.filter((l) => l.method === "GET").every((l) => l.token !== null)).toBe(true);
    expect(log.filter((l) => l.path.endsWith(`${MULTUS[0]!.mac}/device-number`))).toHaveLength(2);

    // Again, as udev replays "add" at every boot: the same result, no second name.
    expect(host.multusEni("enp40s0").status).toBe(0);
    expect(host.link("enp40s0")!.altnames).toEqual(["multus1"]);
  });

  rootTest("GIVEN an ENI of a multus subnet at another device index than the plan gives that subnet WHEN multus-eni runs THEN it names nothing there, records nothing, and fails (the node keeps its taint)", () => {
    const r = host.multusEni(STRAY.iface);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${STRAY.iface} (${STRAY.mac}, ${SUBNET_A}): attached at network card 0 device 4, the plan says card 0 device 1`);
    expect(host.link(STRAY.iface)!.altnames ?? []).toEqual([]);
    expect(existsSync(join(host.dir, "state", "enis", "4"))).toBe(false);
    expect(host.link("multus1")!.ifname).toBe("enp40s0");
  });

  rootTest("GIVEN the named ENIs WHEN the real macvlan plugin runs each generated macvlan NAD's config (IPAM static) THEN each pod gets its address on a macvlan child of exactly that NAD's ENI", () => {
    const nads = networkDefinitions(DEFAULT.plan, { type: "macvlan" });
    expect(nads.map((n) => n.cniConfig.master)).toEqual(["multus1", "multus2"]);
    for (const nad of nads) {
      const pod = host.addNetns(`${host.ns}-${nad.name}`);
      const { address, conf } = podConf(nad);
      const add = host.cni("macvlan", "ADD", conf, pod, `c-${nad.name}`);
      expect({ status: add.status, stdout: add.status === 0 ? "" : add.stdout }).toEqual({ status: 0, stdout: "" });
      expect((JSON.parse(add.stdout) as { ips: { address: string }[] }).ips.map((i) => i.address)).toEqual([address]);

      const net1 = host.link("net1", pod)!;
      expect(net1.linkinfo).toMatchObject({ info_kind: "macvlan", info_data: { mode: "bridge" } });
      expect(net1.addr_info!.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)).toEqual([address]);
      // Its parent is the ENI the NAD's subnet planned, whatever the kernel named it.
      const eni = MULTUS.find((e) => e.device === nad.subnet.deviceIndex)!;
      expect(net1.link_index).toBe(host.link(eni.iface)!.ifindex);

      expect(host.cni("macvlan", "DEL", conf, pod, `c-${nad.name}`).status).toBe(0);
      expect(host.link("net1", pod)).toBeUndefined();
    }
  });

  rootTest("GIVEN the named ENIs WHEN the kernel has ipvlan THEN the real ipvlan plugin attaches each default NAD's pod the same way; where it has not, the test says so", () => {
    const probe = run("ip", ["-n", host.ns, "link", "add", "name", "ipvl-probe", "link", "enp40s0", "type", "ipvlan", "mode", "l2"]);
    if (probe.status !== 0) {
      report(`skipping the ipvlan case: this kernel has no ipvlan (ip link add ... type ipvlan: ${probe.stderr.trim()})`);
      return;
    }
    run("ip", ["-n", host.ns, "link", "del", "ipvl-probe"]);
    for (const nad of networkDefinitions(DEFAULT.plan, {})) {
      expect(nad.cniConfig.type).toBe("ipvlan");
      const pod = host.addNetns(`${host.ns}-${nad.name}`);
      const { address, conf } = podConf(nad);
      const add = host.cni("ipvlan", "ADD", conf, pod, `c-${nad.name}`);
      expect({ status: add.status, stdout: add.status === 0 ? "" : add.stdout }).toEqual({ status: 0, stdout: "" });
      const net1 = host.link("net1", pod)!;
      expect(net1.linkinfo?.info_kind).toBe("ipvlan");
      expect(net1.addr_info!.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)).toEqual([address]);
      expect(net1.link_index).toBe(host.link(MULTUS.find((e) => e.device === nad.subnet.deviceIndex)!.iface)!.ifindex);
      expect(host.cni("ipvlan", "DEL", conf, pod, `c-${nad.name}`).status).toBe(0);
    }
  });
});
