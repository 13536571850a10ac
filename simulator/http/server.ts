import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Operations } from "../operations";
import { QueryError, asServiceError } from "../operations";
import { AUTOSCALING_SERVICE, EC2_SERVICE, QueryService, SERVICES, operationSchema, structureOf } from "./protocol";
import { ParameterError, readInput } from "./query";
import { errorXml, responseXml } from "./xml";

/** What the endpoint serves: each service's actions, and the clock to bring up to date per request. */
export interface Endpoint {
  readonly operations: Readonly<Record<QueryService["name"], Operations>>;
  /** Called before each request is served (e.g. to move the simulated clock to wall time). */
  readonly beforeRequest?: () => void;
}

export interface ServerOptions {
  readonly endpoint: Endpoint;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** One line per failed request (5xx), for the operator. */
  readonly log?: (line: Record<string, unknown>) => void;
}

export interface RunningServer {
  /** `http://HOST:PORT` */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, ends open connections, resolves when closed. */
  close(): Promise<void>;
}

/** A request body larger than this is refused: no Query API request of these actions comes near it. */
const MAX_BODY = 8 * 1024 * 1024;

/** Which service a request is for: its `Version`, as one endpoint serves both APIs. */
function serviceOf(params: URLSearchParams, authorization: string | undefined): QueryService | undefined {
  const version = params.get("Version");
  const byVersion = SERVICES.find((s) => s.version === version);
  if (byVersion) return byVersion;
  // The SigV4 credential scope names the service (`.../us-west-2/ec2/aws4_request`).
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? "")?.[1];
  return SERVICES.find((s) => s.name === scope);
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

async function answer(endpoint: Endpoint, params: URLSearchParams, authorization: string | undefined, requestId: string): Promise<Answer> {
  const service = serviceOf(params, authorization) ?? EC2_SERVICE;
  const fail = (err: unknown): Answer => {
    const e = asServiceError(service, err);
    return { status: e.status, body: errorXml(service, e.code, e.message, requestId, e.status) };
  };
  try {
    const action = params.get("Action");
    if (!action) throw new QueryError("MissingAction", "The request must contain the parameter Action");
    const version = params.get("Version");
    if (!version) throw new ParameterError("MissingParameter", "Version", "The request must contain the parameter Version");
    if (version !== service.version) {
      throw new QueryError("NoSuchVersion", `The requested version (${version}) of service ${service.name} does not exist; this endpoint serves ${EC2_SERVICE.version} (EC2) and ${AUTOSCALING_SERVICE.version} (Auto Scaling)`);
    }
    const schema = operationSchema(service, action);
    const run = endpoint.operations[service.name].get(action);
    if (!schema || !run) throw new QueryError("InvalidAction", `The action ${action} is not valid for this web service${schema ? " (the simulator does not model it)" : ""}.`);
    const input = readInput(service, structureOf(schema[4]), params);
    endpoint.beforeRequest?.();
    const output = (await run(input)) as Record<string, unknown>;
    return { status: 200, body: responseXml(service, action, schema[5], output ?? {}, requestId) };
  } catch (err) {
    return fail(err);
  }
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * The EC2 (2016-11-15) and Auto Scaling (2011-01-01) Query APIs at one base URL, as AWS serves
 * them: form-encoded POST (or GET) requests told apart by `Action` and `Version`, XML answers,
 * the services' error documents and HTTP status codes. Signatures are not checked. Every
 * request is answered; none can stop the server.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    const send = (a: Answer) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(a.status, { "Content-Type": "text/xml;charset=UTF-8", "Content-Length": Buffer.byteLength(a.body), "x-amzn-RequestId": requestId });
      res.end(a.body);
    };
    res.on("error", () => undefined);
    readBody(req)
      .then(async (body) => {
        if (body === undefined) {
          const message = `The request body exceeds ${MAX_BODY} bytes`;
          send({ status: 413, body: errorXml(EC2_SERVICE, "RequestEntityTooLarge", message, requestId, 413) });
          return;
        }
        const url = new URL(req.url ?? "/", "http://localhost");
        const params = new URLSearchParams(url.search);
        if (req.method === "POST") for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
        const a = await answer(opts.endpoint, params, req.headers.authorization, requestId);
        if (a.status >= 500) opts.log?.({ requestId, action: params.get("Action"), status: a.status, body: a.body });
        send(a);
      })
      .catch((err: unknown) => {
        opts.log?.({ requestId, status: 500, error: String(err) });
        send({ status: 500, body: errorXml(EC2_SERVICE, "InternalError", "An internal error has occurred", requestId, 500) });
      });
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
