import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { createAwsClients } from "../../lambda/clients";
import { createHandler } from "../../lambda/handler";
import { world } from "./world";

/**
 * Sends a real SDK client's commands to a model from inside the client's middleware stack,
 * below the retry middleware (finalizeRequest step) and in place of the HTTP round trip: the
 * SDK's own retry strategy sees the model's errors.
 */
function routeBelowRetry(client: EC2Client | AutoScalingClient, model: object) {
  (client as EC2Client).middlewareStack.add(
    (_next, context) => async (args) => {
      const op = String(context.commandName).replace(/Command$/, "");
      const method = (model as Record<string, (input: unknown) => Promise<unknown>>)[op.charAt(0).toLowerCase() + op.slice(1)]!;
      const output = await method.call(model, args.input);
      return { output: output as never, response: {} };
    },
    { step: "deserialize", priority: "high", name: "routeToSimulator" },
  );
}

describe("real SDK clients", () => {
  it("GIVEN EC2 throttles the first calls WHEN the handler runs on the deployed clients THEN the SDK's adaptive retry absorbs it and the launch completes", async () => {
    const w = await world({ subnets: 1 });
    w.ec2Mock.restore();
    w.asMock.restore();
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
    const { ec2, autoscaling } = createAwsClients({ region: "us-west-2", credentials });
    expect(await ec2.config.retryStrategy()).toHaveProperty("mode", "adaptive");
    routeBelowRetry(ec2, w.model);
    routeBelowRetry(autoscaling, w.asg);
    const { instanceId, event } = w.launch();
    let throttles = 1;
    w.model.setFaults({ throttle: (call) => call.op === "DescribeInstances" && throttles-- > 0 });
    const handler = createHandler({ ec2, autoscaling, config: w.lambda, log: () => undefined });

    const out = await handler(event);

    expect(out.result).toBe("CONTINUE");
    // A throttled attempt, then the one that went through: retried inside the SDK, so the
    // handler sent each of its 5 commands (group read, subnet read, create, attach, DeleteOnTermination) once.
    expect(w.model.calls.get("DescribeInstances")).toBe(2);
    expect(out.ec2Calls).toBe(5);
    expect(w.enisOf(instanceId)).toHaveLength(2);
  });
});
