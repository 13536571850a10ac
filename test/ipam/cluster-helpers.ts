import { readFileSync } from "node:fs";
import { join } from "node:path";
import { awsReserved, cidrBounds, overlaps, rangeSize } from "../../ipam";
import type { PlannedSubnet } from "../../ipam";

/** The example cluster config of the repository (examples/cluster.config.json). */
export const EXAMPLE = JSON.parse(readFileSync(join(__dirname, "../../examples/cluster.config.json"), "utf8"));

/** Checks what every planned subnet must hold: a partition of the subnet into blocks, each worker and pod block reserved exactly by its owner. */
export function expectSoundSubnet(s: Pick<PlannedSubnet, "subnet" | "blocks" | "reservations" | "dhcp">): void {
  const blocks = [...s.blocks].sort((a, b) => a.range.first - b.range.first);
  // The blocks tile the subnet: AWS-reserved, worker, pod blocks and DHCP space, no gap, no overlap.
  expect(blocks[0]!.range.first).toBe(s.subnet.base);
  expect(blocks[blocks.length - 1]!.range.last).toBe(s.subnet.last);
  for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.range.first).toBe(blocks[i - 1]!.range.last + 1);
  expect(blocks.filter((b) => b.kind === "aws-reserved").flatMap((b) => Array.from({ length: rangeSize(b.range) }, (_, k) => b.range.first + k))).toEqual(awsReserved(s.subnet).sort((a, b) => a - b));
  // Every worker and pod block is covered exactly by reservations that name its owner.
  for (const b of blocks.filter((x) => x.kind === "workers" || x.kind === "pods")) {
    const mine = s.reservations.filter((r) => r.owner === b.owner && r.purpose === b.kind).map((r) => cidrBounds(r.cidr)).filter((r) => overlaps(r, b.range));
    const covered = mine.reduce((n, r) => n + rangeSize(r), 0);
    expect(covered).toBe(rangeSize(b.range));
    for (const r of mine) expect(r.first >= b.range.first && r.last <= b.range.last).toBe(true);
  }
  // No reservation outside the worker and pod blocks.
  const reservedTotal = s.reservations.reduce((n, r) => n + rangeSize(cidrBounds(r.cidr)), 0);
  expect(reservedTotal).toBe(blocks.filter((b) => b.kind === "workers" || b.kind === "pods").reduce((n, b) => n + rangeSize(b.range), 0));
  // DHCP space is what no block holds.
  expect(s.dhcp.map((r) => [r.first, r.last])).toEqual(blocks.filter((b) => b.kind === "dhcp").map((b) => [b.range.first, b.range.last]));
}

