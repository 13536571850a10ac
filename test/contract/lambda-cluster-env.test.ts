import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, planNetwork } from "../../ipam";
import { lambdaConfigs, lambdaEnvironment } from "../../ipam/lambda-env";
import { LAMBDA_CLUSTER_ENV, LAMBDA_ENV, LAMBDA_ENV_MAX_BYTES, LambdaConfig, parseLambdaEnvironment, parseLambdaGroups } from "../../contract/lambda-env";
import { EXAMPLE } from "../ipam/cluster-helpers";
import { planError } from "../ipam/setup";

const setup = (user: unknown = EXAMPLE) => {
  const config = parseConfig(user);
  return { config, plan: planNetwork(config) };
};

describe("the Lambda environment of several node groups", () => {
  const { config, plan } = setup();
  const env = lambdaEnvironment(config, plan);

  test("GIVEN the example cluster WHEN written THEN the groups and networks variables (and the attempts), within Lambda's 4 KB", () => {
    expect(Object.keys(env).sort()).toEqual([LAMBDA_CLUSTER_ENV.groups, LAMBDA_ENV.ipAttempts, LAMBDA_CLUSTER_ENV.networks].sort());
    const bytes = Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(bytes).toBeLessThan(LAMBDA_ENV_MAX_BYTES / 2);
  });

  test("WHEN read back as the function does THEN every group's configuration, as the plan made it", () => {
    expect(parseLambdaGroups(env)).toEqual(lambdaConfigs(config, plan));
  });

  test("THEN each group has its own worker blocks and only its zones' subnets; each subnet its network's security groups, check and tags", () => {
    const groups = parseLambdaGroups(env);
    const byName: Record<string, LambdaConfig> = Object.fromEntries(groups.map((g) => [g.name!, g]));
    expect(groups.map((g) => g.autoScalingGroupName)).toEqual(["eks-multus-cluster-cnf-a", "eks-multus-cluster-cnf-b", "eks-multus-cluster-edge"]);
    expect(byName.edge!.subnets.map((s) => s.cidr)).toEqual(["10.0.4.0/24"]);
    expect(byName.edge!.subnets[0]!.workers).toBeUndefined();
    for (const name of ["cnf-a", "cnf-b"]) {
      const g = byName[name]!;
      expect(g.subnets).toHaveLength(4);
      for (const s of g.subnets) {
        const planned = plan.subnets.find((p) => p.id === s.id)!;
        expect(s.workers).toEqual(planned.workerBlocks[name]);
        expect(s.securityGroupIds).toEqual(s.network === "data" ? ["sg-0c0ffee0c0ffee002"] : ["sg-0c0ffee0c0ffee003"]);
        expect(s.sourceDestCheck).toBe(s.network === "data");
        expect(s.interfaceTags).toEqual(s.network === "storage" ? { network: "storage" } : {});
      }
    }
  });

  test("GIVEN the single-group environment THEN the same reader reads it as one group", () => {
    const single = setup({});
    const legacy = lambdaEnvironment(single.config, single.plan);
    expect(legacy[LAMBDA_CLUSTER_ENV.groups]).toBeUndefined();
    expect(parseLambdaGroups(legacy)).toEqual([parseLambdaEnvironment(legacy)]);
  });

  test("GIVEN one group whose networks have different security groups THEN the groups variables carry them per network", () => {
    const one = setup({ ...EXAMPLE, nodeGroups: [EXAMPLE.nodeGroups[0]] });
    const e = lambdaEnvironment(one.config, one.plan);
    expect(e[LAMBDA_CLUSTER_ENV.groups]).toBeDefined();
    expect(e[LAMBDA_ENV.securityGroups]).toBeUndefined();
    expect(new Set(parseLambdaGroups(e)[0]!.subnets.map((s) => s.securityGroupIds!.join()))).toEqual(new Set(["sg-0c0ffee0c0ffee002", "sg-0c0ffee0c0ffee003"]));
  });

  test("GIVEN each group's own launch hook timeout (the stack's per-group launchHookTimeout) WHEN written and read back THEN each group has its own; the default one is not written", () => {
    const names = { "cnf-a": { launchHookTimeout: 600 }, edge: { launchHookTimeout: 180 } };
    const e = lambdaEnvironment(config, plan, { groups: names });
    const groups = JSON.parse(e[LAMBDA_CLUSTER_ENV.groups]!) as Record<string, { hook?: number }>;
    expect(Object.values(groups).map((g) => g.hook)).toEqual([600, undefined, 180]);
    expect(parseLambdaGroups(e).map((g) => g.launchHookTimeoutSeconds)).toEqual([600, 300, 180]);
    expect(planError(() => lambdaEnvironment(config, plan, { groups: { edge: { launchHookTimeout: 10 } } })).field).toBe("groups.edge.launchHookTimeout");
  });

  test.each([
    ["a launch hook timeout out of range", (e: Record<string, string>) => (e[LAMBDA_CLUSTER_ENV.groups] = e[LAMBDA_CLUSTER_ENV.groups]!.replace('"networks":["data"]', '"hook":9000,"networks":["data"]')), `${LAMBDA_CLUSTER_ENV.groups}.eks-multus-cluster-edge.hook`, /whole number of seconds from 30 to 7200/],
    ["networks missing", (e: Record<string, string>) => delete e[LAMBDA_CLUSTER_ENV.networks], LAMBDA_CLUSTER_ENV.networks, /is not set/],
    [
      "a static group's worker block missing",
      (e: Record<string, string>) => (e[LAMBDA_CLUSTER_ENV.networks] = e[LAMBDA_CLUSTER_ENV.networks]!.replace(/"cnf-b":"[^"]*"/, '"cnf-x":"10.0.4.12-10.0.4.16"')),
      `${LAMBDA_CLUSTER_ENV.networks}.data.subnets.subnet-0c0ffee0c0ffee004.workers.cnf-b`,
      /is missing; the static strategy assigns worker addresses from it/,
    ],
    ["a group naming an unknown network", (e: Record<string, string>) => (e[LAMBDA_CLUSTER_ENV.groups] = e[LAMBDA_CLUSTER_ENV.groups]!.replace('"networks":["data"]', '"networks":["dat"]')), `${LAMBDA_CLUSTER_ENV.groups}.eks-multus-cluster-edge.networks[0]`, /"dat" is not a network/],
    ["a bad security group", (e: Record<string, string>) => (e[LAMBDA_CLUSTER_ENV.networks] = e[LAMBDA_CLUSTER_ENV.networks]!.replace('"sg":"sg-0c0ffee0c0ffee003"', '"sg":"default"')), `${LAMBDA_CLUSTER_ENV.networks}.storage.sg`, /"default" is not a security group id/],
    ["a worker block outside its subnet", (e: Record<string, string>) => (e[LAMBDA_CLUSTER_ENV.networks] = e[LAMBDA_CLUSTER_ENV.networks]!.replace('"cnf-a":"10.0.4.4-10.0.4.11"', '"cnf-a":"10.0.9.4-10.0.9.11"')), `${LAMBDA_CLUSTER_ENV.networks}.data.subnets[0].workers.cnf-a`, /not inside the usable addresses/],
  ])("GIVEN %s WHEN the function starts THEN the error names the variable and key", (_what, spoil, field, message) => {
    const e = { ...env };
    spoil(e);
    const err = planError(() => parseLambdaGroups(e));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  test("GIVEN more groups than 4 KB can describe THEN an infeasible plan naming the fix", () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ...EXAMPLE.nodeGroups[0], name: `group-${i}`, minSize: 0, desiredSize: 0, maxSize: 1, podsPerNode: 1, workerHeadroom: 0 }));
    const big = setup({ ...EXAMPLE, nodeGroups: many });
    const err = planError(() => lambdaEnvironment(big.config, big.plan));
    expect(err.kind).toBe("infeasible");
    expect(err.message).toMatch(/the Lambda environment needs \d+ bytes; Lambda allows 4096.*Fix: serve fewer node groups or networks from one function/);
  });
});

describe("the Lambda environment of dual-stack subnets", () => {
  const DUAL = JSON.parse(readFileSync(join(__dirname, "../../examples/dual-stack.config.json"), "utf8"));

  test("GIVEN the dual-stack example (a static and a reservation group) WHEN written and read back THEN each subnet's /64, and the static group's IPv6 worker block, as the plan made them", () => {
    const { config, plan } = setup(DUAL);
    const env = lambdaEnvironment(config, plan);
    const groups = parseLambdaGroups(env);
    expect(groups).toEqual(lambdaConfigs(config, plan));
    const cnf = groups.find((g) => g.name === "cnf")!;
    const edge = groups.find((g) => g.name === "edge")!;
    for (const s of cnf.subnets) {
      const planned = plan.subnets.find((p) => p.id === s.id)!;
      expect(s.ipv6).toEqual({ cidr: planned.ipv6!.subnet.cidr, workers: planned.ipv6!.workerBlocks.cnf });
    }
    for (const s of edge.subnets) expect(s.ipv6).toEqual({ cidr: plan.subnets.find((p) => p.id === s.id)!.ipv6!.subnet.cidr });
  });

  test("GIVEN the shorthand on a dual-stack subnet WHEN written THEN the single-group variables carry v6 and w6, and read back", () => {
    const { config, plan } = setup({ multus: { subnets: [{ cidr: "10.0.4.0/24", ipv6Cidr: "2001:db8:1234:1a04::/64", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] } });
    const env = lambdaEnvironment(config, plan);
    expect(JSON.parse(env[LAMBDA_ENV.subnets]!)[0]).toMatchObject({ v6: "2001:db8:1234:1a04::/64", w6: plan.subnets[0]!.ipv6!.workerBlocks.ng1!.cidr });
    expect(parseLambdaEnvironment(env).subnets[0]!.ipv6).toEqual({ cidr: "2001:db8:1234:1a04::/64", workers: plan.subnets[0]!.ipv6!.workerBlocks.ng1 });
  });

  test.each([
    [{ v6: "2001:db8::/64", w6: "2001:db9::/125" }, /MULTUS_SUBNETS\[0\]\.w6: 2001:db9::\/125 is not inside the usable addresses of 2001:db8::\/64/],
    [{ w6: "2001:db8::/125" }, /MULTUS_SUBNETS\[0\]\.w6: is set but the subnet has no IPv6 CIDR/],
    [{ v6: "2001:db8::/64" }, /MULTUS_SUBNETS\[0\]\.w6: is missing; the static strategy assigns worker IPv6 addresses from it/],
    [{ v6: "2001:db8::/56", w6: "2001:db8::/125" }, /MULTUS_SUBNETS\[0\]\.v6: .*is a \/56/],
  ])("GIVEN a static subnet entry with %j THEN the function refuses its environment naming the key", (extra, message) => {
    const { config, plan } = setup({ multus: { subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] } });
    const env = lambdaEnvironment(config, plan);
    const entry = { ...JSON.parse(env[LAMBDA_ENV.subnets]!)[0], ...extra };
    expect(() => parseLambdaEnvironment({ ...env, [LAMBDA_ENV.subnets]: JSON.stringify([entry]) })).toThrow(message);
  });
});
