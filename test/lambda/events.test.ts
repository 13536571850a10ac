import * as fs from "node:fs";
import * as path from "node:path";
import { parseEvent } from "../../lambda/events";
import { world } from "./world";

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8")) as Record<string, unknown>;

describe("parseEvent", () => {
  it("GIVEN the sample launch and terminate events WHEN parsed THEN they name the action to complete", () => {
    const launch = parseEvent(fixture("launch-lifecycle-action.json"));
    const terminate = parseEvent(fixture("terminate-lifecycle-action.json"));
    expect(launch).toEqual({
      kind: "launch",
      action: {
        instanceId: "i-1234567890abcdef0",
        autoScalingGroupName: "multus-ng",
        hookName: "multus-launch",
        token: "87654321-4321-4321-4321-210987654321",
        // The event's time: when the action began, for the launch's deadline.
        startedAt: Date.parse((fixture("launch-lifecycle-action.json") as { time: string }).time),
      },
    });
    expect(terminate).toMatchObject({ kind: "terminate", action: { hookName: "multus-terminate" } });
  });

  it("GIVEN a launch detail-type with a terminating transition WHEN parsed THEN it is ignored rather than acted on", () => {
    const e = fixture("launch-lifecycle-action.json");
    const out = parseEvent({ ...e, detail: { ...(e.detail as object), LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING" } });
    expect(out.kind).toBe("ignored");
  });

  it("GIVEN an event without an instance id WHEN parsed THEN it is ignored with the reason", () => {
    const e = fixture("launch-lifecycle-action.json");
    const out = parseEvent({ ...e, detail: { ...(e.detail as object), EC2InstanceId: "" } });
    expect(out).toMatchObject({ kind: "ignored", reason: expect.stringMatching(/without EC2InstanceId/) });
  });

  it.each([
    ["an EventBridge schedule's event", { "detail-type": "Scheduled Event", source: "aws.events", detail: {} }],
    ["the module's constant input", { source: "multus.sweep", action: "sweep" }],
  ])("GIVEN %s WHEN parsed THEN it is the sweep", (_name, event) => {
    expect(parseEvent(event)).toEqual({ kind: "sweep" });
  });

  it.each([
    ["Auto Scaling's test notification", { Service: "AWS Auto Scaling", Event: "autoscaling:TEST_NOTIFICATION", AutoScalingGroupName: "multus-ng" }],
    ["an unrelated event", { "detail-type": "EC2 Spot Instance Interruption Warning", source: "aws.ec2", detail: {} }],
    ["a string", "hello"],
    ["null", null],
  ])("GIVEN %s WHEN parsed THEN it is ignored", (_name, event) => {
    expect(parseEvent(event).kind).toBe("ignored");
  });
});

describe("ignored events", () => {
  it("GIVEN a test notification WHEN the handler receives it THEN it makes no AWS call and completes nothing", async () => {
    const w = await world();
    const out = await w.handler({ Event: "autoscaling:TEST_NOTIFICATION" });
    expect(out).toMatchObject({ action: "ignored", result: "NONE", ec2Calls: 0 });
    expect(w.ec2Mock.calls()).toHaveLength(0);
    expect(w.asMock.calls()).toHaveLength(0);
  });

  it("GIVEN a lifecycle event of another Auto Scaling group WHEN the handler receives it THEN it leaves it alone", async () => {
    const w = await world();
    const { event } = w.launch();
    const out = await w.handler({ ...event, detail: { ...event.detail, AutoScalingGroupName: "someone-else" } });
    expect(out).toMatchObject({ action: "ignored", reason: expect.stringMatching(/someone-else/) });
    expect(w.asg.results).toEqual([]);
  });
});
