import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ipToInt, planSubnet, rangeSize } from "../../ipam";
import { renderPlanSvg } from "../../cli/svg";

const ROOT = join(__dirname, "../..");
const cells = (svg: string) => [...svg.matchAll(/<rect x="\d+" y="\d+" width="\d+" height="\d+" fill="(#[0-9a-f]+)" class="cell"><title>([^<]*)<\/title>/g)].map((m) => ({ fill: m[1]!, title: m[2]! }));

describe("renderPlanSvg", () => {
  const plan = planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 3, podsPerNode: 10 });

  test("GIVEN a /24 THEN one cell per address, coloured by the plan's blocks, with a legend that counts them", () => {
    const svg = renderPlanSvg([{ plan }]);
    const c = cells(svg);
    expect(c).toHaveLength(256);
    const byTitle = (re: RegExp) => c.filter((x) => re.test(x.title)).length;
    expect(byTitle(/AWS-reserved/)).toBe(5);
    expect(byTitle(/Worker block/)).toBe(rangeSize(plan.workers));
    expect(byTitle(/Pod block/)).toBe(rangeSize(plan.pods));
    expect(c.find((x) => x.title.startsWith("10.0.4.70:"))!.title).toMatch(/DHCP space/);
    expect(svg).toContain(`Pod block (whereabouts pool): ${rangeSize(plan.pods)}`);
    expect(svg).toContain("1 cell = 1 address");
    // Reserved cells carry the hatch: both blocks are reserved in the static strategy.
    expect(svg.match(/fill="url\(#hatch\)" pointer-events/g)).toHaveLength(rangeSize(plan.workers) + rangeSize(plan.pods));
    expect(svg).not.toContain("Live worker");
  });

  test("GIVEN the AWS-reserved cells THEN each says why AWS reserves it", () => {
    const c = cells(renderPlanSvg([{ plan }]));
    const tip = (ip: string) => c.find((x) => x.title.startsWith(`${ip}:`))!.title;
    expect(tip("10.0.4.0")).toBe("10.0.4.0: AWS-reserved (network address)");
    expect(tip("10.0.4.1")).toBe("10.0.4.1: AWS-reserved (VPC router)");
    expect(tip("10.0.4.2")).toBe("10.0.4.2: AWS-reserved (Amazon DNS)");
    expect(tip("10.0.4.3")).toBe("10.0.4.3: AWS-reserved (reserved for future use)");
    expect(tip("10.0.4.255")).toBe("10.0.4.255: AWS-reserved (network broadcast)");
  });

  test("GIVEN host-local pods THEN the legend says host-local, not whereabouts; GIVEN notes THEN they are under the title", () => {
    const svg = renderPlanSvg([{ plan, podIpam: "host-local" }], "t", ["31 of 50 launches ABANDONed"]);
    expect(svg).toContain(`Pod block (one host-local range on every node): ${rangeSize(plan.pods)}`);
    expect(svg).not.toContain("whereabouts");
    expect(svg).toContain(">31 of 50 launches ABANDONed</text>");
  });

  test("GIVEN the reservation strategy with a pod range near the start THEN each DHCP stretch is listed once", () => {
    const res = planSubnet({ cidr: "10.0.4.0/24", strategy: "reservation", maxNodes: 3, podsPerNode: 10, podRange: "10.0.4.5-10.0.4.40" });
    const svg = renderPlanSvg([{ plan: res }]);
    expect(svg.match(/>DHCP \(workers\): /g)).toHaveLength(2);
    expect(svg).not.toMatch(/Largest DHCP stretch/);
  });

  test("GIVEN live addresses and collisions THEN they are marked and counted", () => {
    const svg = renderPlanSvg([{ plan, live: { workers: [ipToInt("10.0.4.4")], pods: [ipToInt("10.0.4.224"), ipToInt("10.0.4.225"), ipToInt("10.0.4.225")], foreign: [ipToInt("10.0.4.9")], collisions: [ipToInt("10.0.4.9")] } }]);
    // Four live cells and three legend dots.
    expect(svg.match(/<circle cx/g)).toHaveLength(4 + 3);
    expect(svg).toContain("Collision (two live interfaces): 1");
    expect(svg).toContain("Live pods: 3 on 2 addresses");
    expect(svg).toContain("Live worker ENIs: 1");
    expect(svg.match(/stroke="#d62728" stroke-width="3"/g)!.length).toBe(2); // the cell and the legend swatch
  });

  test("GIVEN addresses that ABANDONed launches tried THEN each carries a flag saying how often, and the legend counts launches, tries and addresses", () => {
    const tries = ["10.0.4.4", "10.0.4.4", "10.0.4.5", "10.0.4.4"].map(ipToInt);
    const svg = renderPlanSvg([{ plan, live: { workers: [ipToInt("10.0.4.4")], abandoned: { tries, launches: 2 } } }]);
    expect(svg.match(/class="abandoned"/g)).toHaveLength(2);
    const c = cells(svg);
    expect(c.find((x) => x.title.startsWith("10.0.4.4:"))!.title).toMatch(/; tried by ABANDONed launches 3 times$/);
    expect(c.find((x) => x.title.startsWith("10.0.4.5:"))!.title).toMatch(/; tried by ABANDONed launches 1 time$/);
    expect(c.find((x) => x.title.startsWith("10.0.4.6:"))!.title).not.toMatch(/ABANDONed/);
    expect(svg).toContain("Tried by ABANDONed launches (2): 4 tries, 2 addresses");
    // No ABANDONed launch: neither flags nor a legend line.
    const none = renderPlanSvg([{ plan, live: { workers: [ipToInt("10.0.4.4")], abandoned: { tries: [], launches: 0 } } }]);
    expect(none).not.toMatch(/abandoned|ABANDONed/);
  });

  test("GIVEN a /16 THEN cells stand for buckets of addresses and the scale says so", () => {
    const big = planSubnet({ cidr: "10.1.0.0/16", strategy: "reservation", maxNodes: 50, podsPerNode: 20 });
    const svg = renderPlanSvg([{ plan: big }]);
    expect(cells(svg)).toHaveLength(1024);
    expect(svg).toContain("1 cell = 64 addresses");
  });
});

describe("multus-sim map / plan --svg", () => {
  test("GIVEN map --svg and plan --svg THEN both write the picture of each subnet", () => {
    const dir = mkdtempSync(join(tmpdir(), "svg-"));
    const run = (args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin/multus-sim.js"), ...args], { cwd: dir, env: { ...process.env, MULTUS_CONFIG: "" }, encoding: "utf8" });
    const map = run(["map", "--subnet", "10.0.4.0/24", "--subnet", "10.0.5.0/24", "--svg", join(dir, "m.svg")]);
    expect(map.stderr).toBe("");
    expect(map.status).toBe(0);
    const svg = readFileSync(join(dir, "m.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain(">10.0.4.0/24<");
    expect(svg).toContain(">10.0.5.0/24<");
    const plan = run(["plan", "--subnet", "10.0.4.0/24", "--svg", join(dir, "p.svg"), "--json"]);
    expect(plan.status).toBe(0);
    expect(JSON.parse(plan.stdout).subnets).toHaveLength(1);
    expect(cells(readFileSync(join(dir, "p.svg"), "utf8"))).toHaveLength(256);
  });
});

describe("renderPlanSvg shared addresses", () => {
  test("GIVEN a pod and a foreign ENI on one address THEN both holders are drawn in its cell, side by side", () => {
    const plan = planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 3, podsPerNode: 10 });
    const ip = ipToInt("10.0.4.230");
    const svg = renderPlanSvg([{ plan, live: { pods: [ip], foreign: [ip], collisions: [ip], foreignPartial: true } }]);
    const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)" fill="(#[0-9a-f]+)" stroke/g)].map((m) => ({ cx: Number(m[1]), cy: Number(m[2]), fill: m[4] }));
    expect(dots).toHaveLength(2);
    expect(dots[0]!.cy).toBe(dots[1]!.cy);
    expect(dots[0]!.cx).not.toBe(dots[1]!.cx);
    expect(new Set(dots.map((d) => d.fill)).size).toBe(2);
    expect(svg).toContain("Foreign ENIs (DHCP) in collisions: 1");
  });
});
