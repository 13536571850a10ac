/**
 * `multus-sim serve`'s endpoint with one /20 holding `count` DHCP ENIs (made in process, not
 * over HTTP, so the set-up is quick). Prints `listening on URL SUBNET_ID` once filled; SIGTERM
 * stops it. Usage: serve-enis.ts <count>
 */
import { serve } from "../../simulator/http/serve";

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 4000);
  const serving = await serve({ timing: "instant" });
  const subnetId = serving.world.ec2World.addSubnet({ cidr: "10.0.16.0/20", availabilityZone: "us-west-2a" });
  const create = serving.world.ec2Operations.get("CreateNetworkInterface")!;
  for (let i = 0; i < count; i++) await create({ SubnetId: subnetId, TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: "n", Value: String(i) }] }] });
  process.stdout.write(`listening on ${serving.url} ${subnetId}\n`);
  process.once("SIGTERM", () => void serving.close().then(() => process.exit(0)));
}

void main();
