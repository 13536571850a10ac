// Query API responses as AWS writes them: the SDK's XmlShapeSerializer over the operation's
// output schema (the element names the SDK's and botocore's deserializers read), wrapped as
// each protocol wraps it, and the two protocols' error documents.
import { XmlShapeSerializer } from "@aws-sdk/core/protocols";
import { XmlNode } from "@aws-sdk/xml-builder";
import type { StaticStructureSchema } from "@smithy/types";
import { QueryService, structureOf } from "./protocol";

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** Timestamps as ISO 8601 date-time, the Query protocols' default (Smithy spec, "timestampFormat"). */
const SETTINGS = { timestampFormat: { useTrait: true, default: 5 as const }, httpBindings: false };

const serializers = new Map<string, XmlShapeSerializer>();

function serializer(service: QueryService): XmlShapeSerializer {
  let s = serializers.get(service.name);
  if (!s) serializers.set(service.name, (s = new XmlShapeSerializer({ ...SETTINGS, xmlNamespace: service.xmlNamespace, serviceNamespace: service.namespace })));
  return s;
}

/** The response element per protocol, as one structure schema the serializer can write at once. */
const envelopes = new Map<string, StaticStructureSchema>();

function envelope(service: QueryService, action: string, output: unknown): StaticStructureSchema {
  const key = `${service.name}:${action}`;
  const cached = envelopes.get(key);
  if (cached) return cached;
  const out = structureOf(output);
  let schema: StaticStructureSchema;
  if (service.style === "ec2") {
    // EC2: <ActionResponse><requestId/>members...</ActionResponse>; an output without members
    // answers <return>true</return>, as EC2 does for its "Unit" results.
    const names = out ? out[4] : ["Return"];
    const members = out ? out[5] : [[2, { xmlName: "return" }]];
    schema = [3, service.namespace, `${action}Response`, 0, ["RequestId", ...names], [[0, { xmlName: "requestId" }], ...members]] as unknown as StaticStructureSchema;
  } else {
    // awsQuery: <ActionResponse><ActionResult>members</ActionResult><ResponseMetadata><RequestId/></ResponseMetadata></ActionResponse>.
    const metadata = [3, service.namespace, "ResponseMetadata", 0, ["RequestId"], [0]];
    const names = out ? [`${action}Result`, "ResponseMetadata"] : ["ResponseMetadata"];
    const members = out ? [[() => out, { xmlName: `${action}Result` }], metadata] : [metadata];
    schema = [3, service.namespace, `${action}Response`, 0, names, members] as unknown as StaticStructureSchema;
  }
  envelopes.set(key, schema);
  return schema;
}

/** The success document of `action` for `output` (an SDK output object, `$metadata` ignored). */
export function responseXml(service: QueryService, action: string, outputSchema: unknown, output: Record<string, unknown>, requestId: string): string {
  const { $metadata: _ignored, ...members } = output;
  const value =
    service.style === "ec2"
      ? { RequestId: requestId, Return: true, ...members }
      : { [`${action}Result`]: members, ResponseMetadata: { RequestId: requestId } };
  const s = serializer(service);
  s.write(envelope(service, action, outputSchema), value);
  return DECLARATION + (s.flush() as string);
}

/** "Sender" for the caller's faults (4xx), "Receiver" for the service's (5xx), as in awsQuery error documents. */
export function faultType(status: number): "Sender" | "Receiver" {
  return status >= 500 ? "Receiver" : "Sender";
}

/**
 * An error document. EC2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`
 * (EC2 API reference, "Error codes"); Auto Scaling (awsQuery):
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 */
export function errorXml(service: QueryService, code: string, message: string, requestId: string, status: number): string {
  if (service.style === "ec2") {
    const error = new XmlNode("Error").addChildNode(XmlNode.of("Code", code)).addChildNode(XmlNode.of("Message", message));
    const doc = new XmlNode("Response").addChildNode(new XmlNode("Errors").addChildNode(error)).addChildNode(XmlNode.of("RequestID", requestId));
    return DECLARATION + doc.toString();
  }
  const error = new XmlNode("Error").addChildNode(XmlNode.of("Type", faultType(status))).addChildNode(XmlNode.of("Code", code)).addChildNode(XmlNode.of("Message", message));
  const doc = new XmlNode("ErrorResponse").addAttribute("xmlns", service.xmlNamespace).addChildNode(error).addChildNode(XmlNode.of("RequestId", requestId));
  return DECLARATION + doc.toString();
}
