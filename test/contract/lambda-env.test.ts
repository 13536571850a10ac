import { planError, setup } from "../ipam/setup";
import { DEFAULT_CONFIG } from "../../ipam/config";
import { lambdaEnvironment } from "../../ipam/lambda-env";
import { LAMBDA_ENV, parseLambdaEnvironment } from "../../contract/lambda-env";


describe("parseLambdaEnvironment", () => {
  const good = () => {
    const { config, plan } = setup();
    return lambdaEnvironment(config, plan);
  };

  it.each(Object.values(LAMBDA_ENV).filter((v) => ![LAMBDA_ENV.interfaceTags, LAMBDA_ENV.sourceDestCheck, LAMBDA_ENV.ipAttempts, LAMBDA_ENV.instanceLimits, LAMBDA_ENV.launchHookTimeout, LAMBDA_ENV.groupKind].includes(v as never)))(
    "GIVEN %s missing WHEN the function starts THEN the error names it and says how to deploy it",
    (variable) => {
      const env = { ...good() };
      delete env[variable];
      const err = planError(() => parseLambdaEnvironment(env));
      expect(err.field).toBe(variable);
      expect(err.message).toMatch(/is not set.*lambdaEnvironment/);
    },
  );

  it.each([
    [LAMBDA_ENV.strategy, "dhcp", LAMBDA_ENV.strategy, /static, reservation/],
    [LAMBDA_ENV.groupKind, "fargate", LAMBDA_ENV.groupKind, /autoscaling, karpenter, managed/],
    [LAMBDA_ENV.subnets, "[{", LAMBDA_ENV.subnets, /not valid JSON/],
    [LAMBDA_ENV.subnets, "[]", LAMBDA_ENV.subnets, /non-empty/],
    [LAMBDA_ENV.subnets, '[{"id":"subnet-0c0ffee0c0ffee004","az":"us-west-2a","cidr":"10.0.4.0/24","dev":1}]', `${LAMBDA_ENV.subnets}[0].workers`, /static strategy/],
    [LAMBDA_ENV.subnets, '[{"id":"subnet-0c0ffee0c0ffee004","az":"us-west-2a","cidr":"10.0.4.0/24","dev":1,"workers":"10.0.4.1-10.0.4.9"}]', `${LAMBDA_ENV.subnets}[0].workers`, /usable addresses 10\.0\.4\.4-10\.0\.4\.254/],
    [LAMBDA_ENV.subnets, '[{"id":"subnet-0c0ffee0c0ffee004","az":"us-west-2a","cidr":"10.0.4.7/24","dev":1,"workers":"10.0.4.4-10.0.4.9"}]', `${LAMBDA_ENV.subnets}[0].cidr`, /host bits/],
    [LAMBDA_ENV.subnets, '[{"id":"subnet-0c0ffee0c0ffee004","az":"us-west-2a","cidr":"10.0.4.0/24","dev":0,"workers":"10.0.4.4-10.0.4.9"}]', `${LAMBDA_ENV.subnets}[0].dev`, /device index/],
    [LAMBDA_ENV.subnets, '[{"id":"sub-1","az":"us-west-2a","cidr":"10.0.4.0/24","dev":1,"workers":"10.0.4.4-10.0.4.9"}]', `${LAMBDA_ENV.subnets}[0].id`, /not a subnet id/],
    [LAMBDA_ENV.securityGroups, "sg-0c0ffee0c0ffee002,web", LAMBDA_ENV.securityGroups, /"web" is not a security group id/],
    [LAMBDA_ENV.interfaceTags, '{"aws:owner":"x"}', `${LAMBDA_ENV.interfaceTags}.aws:owner`, /not a valid EC2 tag key/],
    [LAMBDA_ENV.sourceDestCheck, "no", LAMBDA_ENV.sourceDestCheck, /true or false/],
    [LAMBDA_ENV.ipAttempts, "many", LAMBDA_ENV.ipAttempts, /whole number/],
    [LAMBDA_ENV.instanceLimits, '{"type":"c5.2xlarge"}', LAMBDA_ENV.instanceLimits, /maxEnis/],
    [LAMBDA_ENV.launchHookTimeout, "29", LAMBDA_ENV.launchHookTimeout, /from 30 to 7200/],
  ])("GIVEN %s=%s WHEN the function starts THEN the PlanError names %s", (variable, value, field, problem) => {
    const err = planError(() => parseLambdaEnvironment({ ...good(), [variable]: value }));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(problem);
  });

  it("GIVEN two subnets of one AZ on the same device index WHEN the function starts THEN it is refused", () => {
    const env = good();
    const subnets = JSON.parse(env[LAMBDA_ENV.subnets]!) as { dev: number }[];
    subnets[1]!.dev = subnets[0]!.dev;
    const err = planError(() => parseLambdaEnvironment({ ...env, [LAMBDA_ENV.subnets]: JSON.stringify(subnets) }));
    expect(err.field).toBe(`${LAMBDA_ENV.subnets}[1].dev`);
  });

  it("GIVEN optional variables absent WHEN the function starts THEN it uses EC2's default check, 8 attempts and no tags", () => {
    const env = good();
    for (const v of [LAMBDA_ENV.interfaceTags, LAMBDA_ENV.sourceDestCheck, LAMBDA_ENV.ipAttempts, LAMBDA_ENV.instanceLimits, LAMBDA_ENV.launchHookTimeout]) delete env[v];
    const c = parseLambdaEnvironment(env);
    expect(c).toMatchObject({ sourceDestCheck: true, ipAttempts: 8, interfaceTags: {}, launchHookTimeoutSeconds: 300 });
    expect(c.instanceLimits).toBeUndefined();
  });

  it("GIVEN the default config WHEN its layout is compared THEN the worker block comes from the plan, not recomputed", () => {
    const { config, plan } = setup({ nodeGroup: { ...DEFAULT_CONFIG.nodeGroup, maxSize: 7 }, multus: { workerHeadroom: 2 } });
    const c = parseLambdaEnvironment(lambdaEnvironment(config, plan));
    expect(c.subnets[0]!.workers).toEqual(plan.subnets[0]!.workers);
    expect(c.subnets[0]!.workers!.last - c.subnets[0]!.workers!.first + 1).toBe(9);
  });
});
