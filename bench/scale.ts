import { spawnSync } from "node:child_process";
import { Ec2Model } from "../simulator/ec2/model";
import type { DhcpPolicy } from "../simulator/ec2/model";
import { median } from "./stats";

/** One fill of a subnet by DHCP ENIs, until EC2 says it is full. */
export interface FillResult {
  readonly cidr: string;
  readonly dhcp: DhcpPolicy;
  readonly allocations: number;
  readonly ms: number;
  /** Heap growth after a full GC, bytes (0 when run without --expose-gc). */
  readonly heapBytes: number;
  /** The error that ended the fill (EC2's code). */
  readonly endedWith: string;
  /**
   * Per-allocation time of the last eighth of the fill over the first eighth: a pick that
   * scanned the used addresses would grow with the fill; an indexed one stays flat.
   */
  readonly lateOverEarly: number;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * Creates DHCP ENIs in a fresh subnet of `cidr` until CreateNetworkInterface fails with
 * InsufficientFreeAddressesInSubnet, as EC2 does when a subnet has no address left
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
export async function fillSubnet(cidr: string, dhcp: DhcpPolicy, seed = 1): Promise<FillResult> {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const model = new Ec2Model({ seed, dhcp });
  const { subnetId } = model.addSubnet({ cidr, availabilityZone: "us-west-2a" });
  const free = model.dhcpFreeCount(subnetId);
  const eighth = Math.max(1, Math.floor(free / 8));
  let allocations = 0;
  let endedWith = "none";
  let earlyEnd = NaN;
  let lateStart = NaN;
  const start = performance.now();
  for (;;) {
    if (allocations === free - eighth) lateStart = performance.now();
    try {
      await model.createNetworkInterface({ SubnetId: subnetId });
      allocations++;
    } catch (err) {
      endedWith = (err as Error).name;
      break;
    }
    if (allocations === eighth) earlyEnd = performance.now();
  }
  const end = performance.now();
  const ms = end - start;
  gc();
  const heapBytes = (globalThis as { gc?: unknown }).gc ? process.memoryUsage().heapUsed - heapBefore : 0;
  // Keep the model alive until the heap was measured.
  if (model.subnetIds().length !== 1) throw new Error("unreachable");
  return { cidr, dhcp, allocations, ms, heapBytes, endedWith, lateOverEarly: (end - lateStart) / (earlyEnd - start) };
}

export interface ScaleRow {
  readonly cidr: string;
  readonly dhcp: DhcpPolicy;
  readonly allocations: number;
  /** Median over the repeats. */
  readonly ms: number;
  readonly allocationsPerSecond: number;
  readonly usPerAllocation: number;
  readonly heapBytes: number;
  readonly bytesPerAllocation: number;
  readonly endedWith: string;
  /** Median over the repeats of FillResult.lateOverEarly. */
  readonly lateOverEarly: number;
  readonly repeats: number;
}

export const SCALE_CIDRS = ["10.0.0.0/24", "10.0.0.0/20", "10.0.0.0/16"] as const;

/**
 * Fills each CIDR `repeats` times (small subnets more often, so each figure covers enough
 * allocations to time), after a warm-up fill, and reports medians.
 */
export async function measureScale(opts: { repeats: number; policies: readonly DhcpPolicy[] }): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const dhcp of opts.policies) {
    await fillSubnet("10.0.0.0/22", dhcp); // warm-up: JIT the hot paths before timing
    for (const cidr of SCALE_CIDRS) {
      const prefix = Number(cidr.split("/")[1]);
      const repeats = prefix >= 24 ? opts.repeats * 8 : prefix >= 20 ? opts.repeats * 4 : opts.repeats;
      const runs: FillResult[] = [];
      for (let i = 0; i < repeats; i++) runs.push(await fillSubnet(cidr, dhcp, i + 1));
      const ms = median(runs.map((r) => r.ms));
      const allocations = runs[0]!.allocations;
      const heapBytes = median(runs.map((r) => r.heapBytes));
      rows.push({
        cidr,
        dhcp,
        allocations,
        ms,
        allocationsPerSecond: allocations / (ms / 1000),
        usPerAllocation: (ms * 1000) / allocations,
        heapBytes,
        bytesPerAllocation: heapBytes / allocations,
        endedWith: runs[0]!.endedWith,
        lateOverEarly: median(runs.map((r) => r.lateOverEarly)),
        repeats,
      });
    }
  }
  return rows;
}

/**
 * Runs the scale measurement in a fresh node with --expose-gc (heap figures after a full GC,
 * no leftovers from the other sections).
 */
export function measureScaleInChild(opts: { repeats: number; policies: readonly DhcpPolicy[] }): ScaleRow[] {
  const out = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", __filename, JSON.stringify(opts)], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`scale child failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout) as ScaleRow[];
}

if (require.main === module) {
  const opts = JSON.parse(process.argv[2] ?? '{"repeats":3,"policies":["random"]}') as { repeats: number; policies: DhcpPolicy[] };
  measureScale(opts)
    .then((rows) => process.stdout.write(JSON.stringify(rows)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
