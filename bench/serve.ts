import { EC2Client, paginateDescribeNetworkInterfaces } from "@aws-sdk/client-ec2";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { ec2Client } from "../simulator/sdk";
import { SimWorld } from "../simulator/world";
import { median } from "./stats";

export interface ServeFigures {
  readonly enis: number;
  readonly pages: number;
  readonly repeats: number;
  /** `serve` answering every page (plain HTTP requests following NextToken, bodies read whole), median and worst. */
  readonly answerMs: number;
  readonly answerMaxMs: number;
  /** The same pages through the JS SDK's paginator over HTTP: the SDK's own XML parsing included. */
  readonly sdkOverHttpMs: number;
  /** The same pages through the in-process SDK client over the same kind of world. */
  readonly inProcessMs: number;
  /** Response bytes of one full page (1,000 ENIs). */
  readonly pageBytes: number;
}

/** Target: serve answers every page of the /20 well under a second. */
export const SERVE_TARGET_MS = 500;

/** The page size the Lambda and the agent ask for (EC2's maximum). */
const PAGE_SIZE = 1000;

async function allPages(client: EC2Client, subnetId: string): Promise<{ ms: number; enis: number; pages: number }> {
  const start = performance.now();
  let enis = 0;
  let pages = 0;
  for await (const page of paginateDescribeNetworkInterfaces({ client, pageSize: PAGE_SIZE }, { Filters: [{ Name: "subnet-id", Values: [subnetId] }] })) {
    enis += page.NetworkInterfaces?.length ?? 0;
    pages++;
  }
  return { ms: performance.now() - start, enis, pages };
}

/** Every page by plain HTTP POSTs, as any client sends them, following `<nextToken>`. */
async function answerPages(url: string, subnetId: string): Promise<{ ms: number; enis: number; pages: number; firstPageBytes: number }> {
  const start = performance.now();
  let token: string | undefined;
  let enis = 0;
  let pages = 0;
  let firstPageBytes = 0;
  do {
    const body = `Action=DescribeNetworkInterfaces&Version=2016-11-15&MaxResults=${PAGE_SIZE}&Filter.1.Name=subnet-id&Filter.1.Value.1=${subnetId}${token ? `&NextToken=${encodeURIComponent(token)}` : ""}`;
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`serve answered ${res.status}: ${text.slice(0, 500)}`);
    if (!pages) firstPageBytes = Buffer.byteLength(text);
    enis += text.split("<networkInterfaceId>").length - 1;
    pages++;
    token = /<nextToken>([^<]+)<\/nextToken>/.exec(text)?.[1];
  } while (token);
  return { ms: performance.now() - start, enis, pages, firstPageBytes };
}

/** Starts bench/children/serve-enis.ts: the endpoint, in its own process, with `count` ENIs in a /20. */
async function startServeChild(count: number): Promise<{ url: string; subnetId: string; stop: () => void }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "children/serve-enis.ts"), String(count)], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("serve-enis did not start in 60 s")), 60_000);
    child.stdout!.on("data", (c) => {
      out += c;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(out.split("\n")[0]!);
      }
    });
    child.on("exit", (code) => reject(new Error(`serve-enis exited ${code}`)));
  });
  const [, url, subnetId] = /^listening on (\S+) (\S+)$/.exec(line)!;
  return { url: url!, subnetId: subnetId!, stop: () => child.kill("SIGTERM") };
}

/**
 * DescribeNetworkInterfaces of every ENI of a /20 holding `count` ENIs, all pages (1,000 per
 * page, as the Lambda and the agent ask), from `serve` in its own process: by plain HTTP
 * requests (what serve takes to answer), through the JS SDK's paginator over HTTP (its XML
 * parsing included), and through the in-process SDK client over the same kind of world.
 * Interleaved, after one unmeasured round of each.
 */
export async function measureServe(repeats: number, count = 4000): Promise<ServeFigures> {
  const server = await startServeChild(count);
  const wire = new EC2Client({ region: "us-west-2", endpoint: server.url, credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench" }, maxAttempts: 1 });
  const world = new SimWorld({ timing: "instant" });
  const subnetId = world.ec2World.addSubnet({ cidr: "10.0.16.0/20", availabilityZone: "us-west-2a" });
  for (let i = 0; i < count; i++) await world.ec2.createNetworkInterface({ SubnetId: subnetId, TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: "n", Value: String(i) }] }] });
  const local = ec2Client(world.ec2Operations);
  try {
    const first = await answerPages(server.url, server.subnetId);
    const viaSdk = await allPages(wire, server.subnetId);
    if (first.enis !== count || viaSdk.enis !== count) throw new Error(`serve listed ${first.enis} (SDK: ${viaSdk.enis}) ENIs, expected ${count}`);
    await allPages(local, subnetId);
    const answer: number[] = [];
    const sdk: number[] = [];
    const inProcess: number[] = [];
    for (let i = 0; i < repeats; i++) {
      answer.push((await answerPages(server.url, server.subnetId)).ms);
      sdk.push((await allPages(wire, server.subnetId)).ms);
      inProcess.push((await allPages(local, subnetId)).ms);
    }
    return { enis: count, pages: first.pages, repeats, answerMs: median(answer), answerMaxMs: Math.max(...answer), sdkOverHttpMs: median(sdk), inProcessMs: median(inProcess), pageBytes: first.firstPageBytes };
  } finally {
    wire.destroy();
    server.stop();
  }
}

if (require.main === module) {
  measureServe(Number(process.argv[2] ?? 5)).then(
    (f) => process.stdout.write(`${JSON.stringify(f)}\n`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
