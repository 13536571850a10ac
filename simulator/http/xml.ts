// Query API responses as AWS writes them: the SDK's XmlShapeSerializer over the operation's
// output schema (the element names the SDK's and botocore's deserializers read), wrapped as
// each protocol wraps it, and the two protocols' error documents.
import { XmlShapeSerializer } from "@aws-sdk/core/protocols";
import { XmlNode, XmlText } from "@aws-sdk/xml-builder";
import { determineTimestampFormat } from "@smithy/core/protocols";
import { NormalizedSchema } from "@smithy/core/schema";
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

/** One element `<tag>...</tag>` (or `<tag/>`) for a value. */
type Writer = (value: unknown, tag: string) => string;

class Unsupported extends Error {}

/** XmlText's escaping (the SDK's), skipped for the common text that needs none. */
const NEEDS_ESCAPE = /[&"'<>\r\n\u0085\u2028]/;

function text(value: unknown): string {
  const s = String(value);
  return NEEDS_ESCAPE.test(s) ? new XmlText(s).toString() : s;
}

function element(tag: string, body: string): string {
  return body ? `<${tag}>${body}</${tag}>` : `<${tag}/>`;
}

/**
 * The SDK's XmlShapeSerializer, compiled: the same walk over the same schema (element names,
 * list item names, flattening, timestamp formats, escaping), decided once per schema instead
 * of per value, so a page of 1,000 ENIs is written in milliseconds. Schemas it does not cover
 * (maps, nested lists, documents, XML attributes and namespaces below the root) throw
 * Unsupported and the response falls back to the SDK's serializer. A test checks that both
 * write the same bytes.
 */
function compile(ns: NormalizedSchema): Writer {
  const traits = ns.getMergedTraits();
  if (traits.xmlAttribute || traits.xmlNamespace || ns.isMapSchema() || ns.isDocumentSchema()) throw new Unsupported(ns.getName(true));
  if (ns.isStructSchema()) {
    const members: { name: string; write: (value: unknown) => string }[] = [];
    for (const [name, m] of ns.structIterator()) {
      const mt = m.getMergedTraits();
      if (mt.xmlAttribute || mt.xmlNamespace || m.isIdempotencyToken()) throw new Unsupported(`${ns.getName(true)}.${name}`);
      if (m.isListSchema()) {
        const listTag = (mt.xmlName as string | undefined) ?? name;
        const item = m.getValueSchema();
        if (item.isListSchema() || item.isMapSchema() || item.getMergedTraits().sparse) throw new Unsupported(`${ns.getName(true)}.${name}`);
        const flat = !!mt.xmlFlattened;
        const itemTag = flat ? listTag : ((item.getMergedTraits().xmlName as string | undefined) ?? "member");
        const writeItem = compile(item);
        members.push({
          name,
          write: (value) => {
            let items = "";
            for (const v of value as unknown[]) if (v != null) items += writeItem(v, itemTag);
            return flat ? items : element(listTag, items);
          },
        });
      } else {
        const tag = m.isStructSchema() ? ((m.getMemberTraits().xmlName as string | undefined) ?? name) : ((mt.xmlName as string | undefined) ?? name);
        const write = compile(m);
        members.push({ name, write: (value) => write(value, tag) });
      }
    }
    return (value, tag) => {
      let body = "";
      const v = value as Record<string, unknown>;
      for (const m of members) if (v[m.name] != null) body += m.write(v[m.name]);
      return element(tag, body);
    };
  }
  if (ns.isListSchema()) throw new Unsupported(ns.getName(true));
  if (ns.isTimestampSchema()) {
    const format = determineTimestampFormat(ns, SETTINGS);
    const show = (d: Date) => (format === 5 ? d.toISOString().replace(".000Z", "Z") : format === 7 ? String(d.getTime() / 1000) : d.toUTCString());
    return (value, tag) => `<${tag}>${text(value instanceof Date ? show(value) : value)}</${tag}>`;
  }
  if (ns.isBlobSchema()) return (value, tag) => `<${tag}>${text(Buffer.from(value as Uint8Array).toString("base64"))}</${tag}>`;
  return (value, tag) => `<${tag}>${text(value)}</${tag}>`;
}

const compiled = new Map<StaticStructureSchema, Writer | null>();

function compiledWriter(schema: StaticStructureSchema): Writer | undefined {
  if (!compiled.has(schema)) {
    try {
      compiled.set(schema, compile(NormalizedSchema.of(schema)));
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      compiled.set(schema, null);
    }
  }
  return compiled.get(schema) ?? undefined;
}

/** The response document's value for the envelope schema. */
function envelopeValue(service: QueryService, action: string, output: Record<string, unknown>, requestId: string): Record<string, unknown> {
  const { $metadata: _ignored, ...members } = output;
  return service.style === "ec2" ? { RequestId: requestId, Return: true, ...members } : { [`${action}Result`]: members, ResponseMetadata: { RequestId: requestId } };
}

/** The success document of `action` for `output` (an SDK output object, `$metadata` ignored). */
export function responseXml(service: QueryService, action: string, outputSchema: unknown, output: Record<string, unknown>, requestId: string): string {
  const schema = envelope(service, action, outputSchema);
  const value = envelopeValue(service, action, output, requestId);
  const write = compiledWriter(schema);
  if (!write) return sdkResponseXml(service, action, outputSchema, output, requestId);
  // The root names the API version's namespace, as XmlShapeSerializer's flush adds it.
  return DECLARATION + write(value, `${action}Response`).replace(/^<([A-Za-z]+)(\/?)>/, `<$1 xmlns="${service.xmlNamespace}"$2>`);
}

/** The same document by the SDK's own XmlShapeSerializer (the reference the compiled writer must match). */
export function sdkResponseXml(service: QueryService, action: string, outputSchema: unknown, output: Record<string, unknown>, requestId: string): string {
  const s = serializer(service);
  s.write(envelope(service, action, outputSchema), envelopeValue(service, action, output, requestId));
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
