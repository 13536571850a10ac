import type { EniRecord } from "../contract/node-network";
import { multusInterfaceName } from "../contract/node-network";
import type { HostLink, HostNetworkView } from "../agent/readiness";

/**
 * A node's host as the agent's readiness check reads it (agent/readiness.ts HostNetworkView):
 * what multus-eni (modules/aws/host/multus-eni.sh) has recorded, the interfaces the kernel
 * shows, and whether Multus has written its CNI configuration. The boot model below changes it
 * as time passes; tests change it by hand.
 */
export class SimHost implements HostNetworkView {
  expected: number[] | undefined;
  readonly records = new Map<number, EniRecord>();
  readonly links = new Map<string, HostLink>();
  multus = false;

  /** multus-eni ran at boot: the devices of the node's zone. */
  setExpected(devices: readonly number[]): void {
    this.expected = [...devices];
  }

  /** The kernel shows a new interface (an ENI's hot-plug), down. */
  plug(iface: string, mac: string): void {
    this.links.set(iface, { mac, up: false });
  }

  /** The interface leaves the kernel (its ENI's detach), with multus-eni's record of it. */
  unplug(iface: string): void {
    this.links.delete(iface);
    for (const [device, r] of this.records) if (r.interface === iface) this.records.delete(device);
  }

  /** multus-eni named it, brought it up and recorded it. */
  configure(iface: string, device: number, subnet: string): void {
    const link = this.links.get(iface);
    if (!link) throw new Error(`no interface ${iface}`);
    this.links.set(iface, { ...link, up: true });
    this.records.set(device, { device, interface: iface, altname: multusInterfaceName(device), mac: link.mac, subnet });
  }

  /** Whether device N is named, up and recorded (what a pod's CNI ADD needs of its master). */
  deviceReady(device: number): boolean {
    const r = this.records.get(device);
    const link = r && this.links.get(r.interface);
    return !!link && link.up && link.mac === r.mac;
  }

  /**
   * What a multus pod's CNI ADD would lack here now: multus-eni's run at boot, each expected
   * device named and up, Multus's configuration. Empty: the pod gets its network.
   */
  podNetworkGaps(): string[] {
    return [
      ...(this.expected ? [] : ["multus-eni has not run"]),
      ...(this.expected ?? []).filter((d) => !this.deviceReady(d)).map((d) => `device ${d} (${multusInterfaceName(d)}) not named and up`),
      ...(this.multus ? [] : ["no Multus configuration"]),
    ];
  }

  async expectedDevices(): Promise<number[] | undefined> {
    return this.expected ? [...this.expected] : undefined;
  }

  async eniRecords(): Promise<{ records: EniRecord[]; unreadable: string[] }> {
    return { records: [...this.records.values()], unreadable: [] };
  }

  async link(iface: string): Promise<HostLink | undefined> {
    return this.links.get(iface);
  }

  async multusConfigured(): Promise<boolean> {
    return this.multus;
  }
}
