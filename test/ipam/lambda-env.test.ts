import { planError, setup } from "./setup";
import { lambdaConfig, lambdaEnvironment } from "../../ipam/lambda-env";
import { LAMBDA_ENV, LAMBDA_ENV_MAX_BYTES, parseLambdaEnvironment } from "../../contract/lambda-env";


describe("lambdaEnvironment", () => {
  it("GIVEN the default config WHEN the environment is written and read back THEN the Lambda sees exactly the plan's layout", () => {
    const { config, plan } = setup();
    const env = lambdaEnvironment(config, plan, { sourceDestCheck: false });
    const back = parseLambdaEnvironment(env);
    expect(back).toEqual(lambdaConfig(config, plan, { sourceDestCheck: false }));
    expect(back.subnets.map((s) => [s.id, s.deviceIndex, s.workers])).toEqual(plan.subnets.map((s) => [s.id, s.deviceIndex, s.workers]));
    expect(back.sourceDestCheck).toBe(false);
  });

  it("GIVEN no deployment values WHEN the environment is written THEN the group and tag default to the node group module's group name", () => {
    const { config, plan } = setup();
    const env = lambdaEnvironment(config, plan);
    expect(env[LAMBDA_ENV.autoScalingGroup]).toBe(`${config.cluster.name}-${config.nodeGroup.name}`);
    expect(env[LAMBDA_ENV.nodeGroupTag]).toBe(env[LAMBDA_ENV.autoScalingGroup]);
    expect(env[LAMBDA_ENV.sourceDestCheck]).toBe("true");
  });

  it("GIVEN the reservation strategy WHEN the environment is written THEN no worker block is passed (workers take DHCP)", () => {
    const { config, plan } = setup({ multus: { strategy: "reservation" } });
    const subnets = JSON.parse(lambdaEnvironment(config, plan)[LAMBDA_ENV.subnets]!) as object[];
    expect(subnets.every((s) => !("workers" in s))).toBe(true);
  });

  it("GIVEN 16 multus subnets across AZs WHEN the environment is written THEN it stays within Lambda's 4 KB", () => {
    const subnets = Array.from({ length: 16 }, (_, i) => ({
      cidr: `10.0.${10 + i}.0/24`,
      id: `subnet-0c0ffee0c0ffee1${i.toString(16).padStart(2, "0")}`,
      availabilityZone: `us-west-2${"abcdefgh"[i % 8]}`,
    }));
    const { config, plan } = setup({ multus: { subnets } });
    const env = lambdaEnvironment(config, plan);
    const bytes = Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(bytes).toBeLessThanOrEqual(LAMBDA_ENV_MAX_BYTES);
  });

  it("GIVEN interface tags too many for one ENI WHEN the environment is written THEN a PlanError names the tags", () => {
    const interfaceTags = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, "v"]));
    const { config, plan } = setup({ multus: { interfaceTags } });
    const err = planError(() => lambdaEnvironment(config, plan));
    expect(err.field).toBe("multus.interfaceTags");
    expect(err.fix).toMatch(/at most 46/);
  });

  it("GIVEN an interface tag that would override the Lambda's own WHEN the environment is written THEN it is refused", () => {
    const { config, plan } = setup({ multus: { interfaceTags: { "node.k8s.amazonaws.com/no_manage": "false" } } });
    expect(() => lambdaEnvironment(config, plan)).toThrow(/is a tag the Lambda sets itself/);
  });

  it("GIVEN an out-of-range ipAttempts WHEN the environment is written THEN it is refused with the range", () => {
    const { config, plan } = setup();
    expect(() => lambdaEnvironment(config, plan, { ipAttempts: 0 })).toThrow(/from 1 to 50/);
  });
});
