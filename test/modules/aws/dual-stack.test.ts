import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ENI_TAG_KEYS } from "../../../contract/tags";
import { EXAMPLE } from "../../ipam/cluster-helpers";
import { NodeAgentRole } from "../../../modules/aws/agent-role";
import { Json, dataSources, resources, sdkActionsCalled, statements, synthConfigStack, synthStack } from "./helpers";

const DUAL = JSON.parse(readFileSync(join(__dirname, "../../../examples/dual-stack.config.json"), "utf8"));

/** The node agent's statement of each group (its sid), by the group's ENI tag value. */
const agentStatements = (tf: Json) => statements(tf).filter((s) => s.sid === "AssignPodAddressesOnOwnEnis");

describe("MultusAwsStack on dual-stack multus subnets", () => {
  const { tf, plan } = synthConfigStack(DUAL);

  test("THEN every IPv6 block the plan reserves is an explicit subnet CIDR reservation on its subnet, beside the IPv4 ones", () => {
    const made = resources(tf, "aws_ec2_subnet_cidr_reservation");
    for (const s of plan.subnets) {
      const v6 = made.filter((r) => r.subnet_id === s.id && String(r.cidr_block).includes(":"));
      expect(v6.map((r) => r.cidr_block).sort()).toEqual(s.ipv6!.reservations.map((r) => r.cidr).sort());
      for (const r of v6) expect(r.reservation_type).toBe("explicit");
      expect(made.filter((r) => r.subnet_id === s.id && !String(r.cidr_block).includes(":")).map((r) => r.cidr_block).sort()).toEqual(s.reservations.map((r) => r.cidr).sort());
    }
    expect(made.some((r) => r.description === "multus IPv6 pods of signal")).toBe(true);
  });

  test("THEN the node agent may assign and unassign IPv6 addresses, on its own group's ENIs only (as its IPv4 actions)", () => {
    const agent = agentStatements(tf);
    expect(agent).toHaveLength(2);
    for (const s of agent) {
      expect(s.actions).toEqual(expect.arrayContaining(["ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses", "ec2:AssignIpv6Addresses", "ec2:UnassignIpv6Addresses"]));
      expect(s.resources).toEqual([expect.stringMatching(/:network-interface\/\*$/)]);
      expect(s.condition).toEqual([{ test: "StringEquals", variable: `aws:ResourceTag/${ENI_TAG_KEYS.nodeGroup}`, values: [expect.stringMatching(/^eks-multus-cluster-(cnf|edge)$/)] }]);
    }
  });

  test("THEN the agent's policy allows exactly the EC2 calls agent/ makes, the IPv6 ones included", () => {
    const doc = dataSources(tf, "aws_iam_policy_document").find((d) => d.statement.some((s: Json) => s.sid === "AssignPodAddressesOnOwnEnis"))!;
    const granted = new Set(doc.statement.flatMap((s: Json) => s.actions as string[]));
    expect([...granted].sort()).toEqual([...sdkActionsCalled(join(__dirname, "../../../agent"))].sort());
  });

  test("GIVEN the node agent's own role (NodeAgentRole) for dual-stack groups THEN its policy grants the IPv6 actions on their ENIs too", () => {
    const role = synthStack((stack) => new NodeAgentRole(stack, "agent", { clusterName: "c", eniTagValues: ["c-cnf"], dualStack: true }));
    const assign = statements(role).find((s) => s.sid === "AssignPodAddressesOnOwnEnis")!;
    expect(assign.actions).toEqual(expect.arrayContaining(["ec2:AssignIpv6Addresses", "ec2:UnassignIpv6Addresses"]));
    expect(assign.condition[0].values).toEqual(["c-cnf"]);
  });

  test("GIVEN IPv4-only networks THEN the agent gets no IPv6 action", () => {
    const ipv4 = synthConfigStack(EXAMPLE).tf;
    expect(resources(ipv4, "aws_ec2_subnet_cidr_reservation").some((r) => String(r.cidr_block).includes(":"))).toBe(false);
    for (const s of statements(ipv4)) expect(s.actions.filter((a: string) => /Ipv6/.test(a))).toEqual([]);
  });
});
