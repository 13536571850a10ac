import {
  LEGACY_NETWORK_STATUS_ANNOTATION,
  NETWORK_STATUS_ANNOTATION,
  NetworkStatusError,
  multusIps,
  multusIps6,
  networkStatusText,
  parseNetworkStatus,
} from "../../agent/annotation";
import { EKS_AWS_CNI_BRIDGE, EKS_IPVLAN_THREE, MULTUS_QUICKSTART } from "./fixtures";

describe("parseNetworkStatus on real annotations", () => {
  it("GIVEN the Multus quickstart annotation WHEN parsed THEN only the macvlan attachment remains, the flannel default network is left out", () => {
    const status = parseNetworkStatus(MULTUS_QUICKSTART);
    expect(status.attachments).toEqual([{ network: "macvlan-conf", interface: "net1", ips: ["192.168.1.205"], ips6: [] }]);
    expect(multusIps(status)).not.toContain("10.244.1.73");
  });

  it("GIVEN an EKS annotation whose aws-cni entry is on a dummy interface WHEN parsed THEN the VPC CNI address is not a multus address", () => {
    const status = parseNetworkStatus(EKS_AWS_CNI_BRIDGE);
    expect(multusIps(status)).toEqual(["10.1.200.252"]);
    expect(status.attachments[0]).toMatchObject({ network: "default/cfosdefaultcni5", interface: "net1" });
  });

  it("GIVEN three ipvlan attachments, one reporting 0.0.0.0 WHEN parsed THEN two addresses remain and the unspecified one is skipped with a reason", () => {
    const status = parseNetworkStatus(EKS_IPVLAN_THREE);
    expect(multusIps(status)).toEqual(["10.0.4.70", "10.0.6.70"]);
    expect(status.attachments.map((a) => a.network)).toEqual(["test1/ipvlan-conf-1", "test1/ipvlan-conf-2", "test1/ipvlan-conf-3"]);
    expect(status.skipped).toEqual([expect.stringMatching(/ipvlan-conf-3: 0\.0\.0\.0 is the unspecified address/)]);
  });
});

describe("parseNetworkStatus on other shapes", () => {
  it("GIVEN no annotation yet (the sandbox is still being set up) WHEN parsed THEN there are no addresses and no error", () => {
    expect(parseNetworkStatus(undefined)).toEqual({ attachments: [], skipped: [] });
    expect(parseNetworkStatus("  ")).toEqual({ attachments: [], skipped: [] });
  });

  it("GIVEN a dual-stack attachment with gateway and device-info fields WHEN parsed THEN both addresses are kept, each with its family, the IPv6 one in EC2's text form", () => {
    const text = JSON.stringify([
      { name: "aws-cni", interface: "eth0", ips: ["192.168.3.4", "2600:1f14::1"], default: true },
      { name: "ns/dual", interface: "net1", ips: ["10.0.4.9", "2001:DB8:0:0::9"], mac: "02:00:00:00:00:01", mtu: 9001, gateway: ["10.0.4.1"], "device-info": { type: "pci", version: "1.1.0", pci: { "pci-address": "0000:00:05.0" } } },
    ]);
    const status = parseNetworkStatus(text);
    expect(multusIps(status)).toEqual(["10.0.4.9"]);
    expect(multusIps6(status)).toEqual(["2001:db8::9"]);
    expect(status.skipped).toEqual([]);
  });

  it("GIVEN the unspecified IPv6 address, a link-local one and a malformed one WHEN parsed THEN each is skipped with its reason", () => {
    const status = parseNetworkStatus(JSON.stringify([{ name: "v6", ips: ["::", "fe80::1ff:fe23:4567:890a", "2001:db8::g", "2001:db8::5"] }]));
    expect(multusIps6(status)).toEqual(["2001:db8::5"]);
    expect(status.skipped).toEqual([
      expect.stringMatching(/:: is the unspecified address/),
      expect.stringMatching(/fe80::1ff:fe23:4567:890a is link-local/),
      expect.stringMatching(/"2001:db8::g" is not an IP address/),
    ]);
  });

  it("GIVEN an attachment without ips (no IPAM) and one listing an address twice WHEN parsed THEN the first has none and the second one address", () => {
    const status = parseNetworkStatus(JSON.stringify([{ name: "l2-only", interface: "net1" }, { name: "twice", ips: ["10.0.4.5", "10.0.4.5"] }]));
    expect(status.attachments).toEqual([
      { network: "l2-only", interface: "net1", ips: [], ips6: [] },
      { network: "twice", ips: ["10.0.4.5"], ips6: [] },
    ]);
  });

  it("GIVEN an address written with a prefix length or a host name WHEN parsed THEN it is skipped, not guessed", () => {
    const status = parseNetworkStatus(JSON.stringify([{ name: "odd", ips: ["10.0.4.5/24", "pod.local", "10.0.4.6"] }]));
    expect(multusIps(status)).toEqual(["10.0.4.6"]);
    expect(status.skipped).toHaveLength(2);
  });

  it("GIVEN two attachments sharing an address WHEN the pod's addresses are listed THEN the address appears once", () => {
    const status = parseNetworkStatus(JSON.stringify([{ name: "a", ips: ["10.0.4.5"] }, { name: "b", ips: ["10.0.4.5", "10.0.5.5"] }]));
    expect(multusIps(status)).toEqual(["10.0.4.5", "10.0.5.5"]);
  });
});

describe("parseNetworkStatus on malformed annotations", () => {
  it.each([
    ["truncated JSON", MULTUS_QUICKSTART.slice(0, 40), /is not JSON/],
    ["an object instead of an array", JSON.stringify({ name: "macvlan-conf", ips: ["10.0.4.5"] }), /must be a JSON array of attachments, got an object/],
    ["a string entry", JSON.stringify(["macvlan-conf"]), /\[0\] must be an object, got a string/],
    ["a null entry", JSON.stringify([null]), /\[0\] must be an object, got null/],
    ["an entry without name", JSON.stringify([{ ips: ["10.0.4.5"] }]), /\[0\]\.name must be a non-empty string/],
    ["ips as a string", JSON.stringify([{ name: "a", ips: "10.0.4.5" }]), /\[0\]\.ips must be an array of strings/],
    ["default as a string", JSON.stringify([{ name: "a", default: "true", ips: ["10.0.4.5"] }]), /\[0\]\.default must be true or false/],
  ])("GIVEN %s WHEN parsed THEN a NetworkStatusError names the annotation and the fault", (_what, text, message) => {
    expect(() => parseNetworkStatus(text)).toThrow(NetworkStatusError);
    expect(() => parseNetworkStatus(text)).toThrow(message);
    expect(() => parseNetworkStatus(text)).toThrow(NETWORK_STATUS_ANNOTATION);
  });
});

describe("networkStatusText", () => {
  it("GIVEN both the current and the legacy annotation WHEN read THEN the current one wins; GIVEN only the legacy one THEN it is used", () => {
    expect(networkStatusText({ [NETWORK_STATUS_ANNOTATION]: "new", [LEGACY_NETWORK_STATUS_ANNOTATION]: "old" })).toBe("new");
    expect(networkStatusText({ [LEGACY_NETWORK_STATUS_ANNOTATION]: "old" })).toBe("old");
    expect(networkStatusText({})).toBeUndefined();
    expect(networkStatusText(undefined)).toBeUndefined();
  });
});
