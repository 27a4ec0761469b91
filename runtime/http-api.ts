// The HTTP API, compatible with Upstash's Redis REST API so that the
// @upstash/redis client works unchanged, plus /healthz and /metrics.
//
//   POST /              body ["SET","k","v"]           -> {"result":"OK"}
//   POST /pipeline      body [["SET","k","v"],["GET","k"]] -> [{"result":...},...]
//   POST /multi-exec    the same, run as MULTI/EXEC
//   GET|POST /set/k/v   the command in the path (a POST body is one more argument)
//
// Errors are {"error":"ERR ..."} with status 400 (per command, status 200, in
// pipelines). With `Upstash-Encoding: base64`, every string in a result
// except the status "OK" is base64 of its bytes, so binary values survive
// JSON. The app is built on Hono and depends on no Node API, so the Worker
// serves the same one.
import { Hono, type Context } from "hono";
import type { Engine } from "./engine.ts";
import { Client, BLOCKED, NO_REPLY, refuseWriteOnReplica } from "./client.ts";
import {
  BoolReply, DoubleReply, ErrorReply, MapReply, NullArray, PushReply, SetReply, SimpleString, VerbatimReply, type Reply,
} from "./reply.ts";
import { formatDouble } from "./numbers.ts";
import { utf8 } from "./bytes.ts";
import type { CommitGate } from "./log/gate.ts";

export interface HttpApiOptions {
  /** Bearer token every request must carry; undefined means no authentication. */
  token?: string;
  /** Extra text for GET /metrics (host-level figures such as clients). */
  metrics?: () => string;
  /** Largest request body, bytes. */
  maxBodyBytes?: number;
  /**
   * A durable server's gate (runtime/log/gate.ts): the response leaves once
   * every record its commands wait for is committed; a write is refused
   * while the log cannot commit. A function is asked per request (a standby
   * has one only once promoted).
   */
  gate?: CommitGate | (() => CommitGate | undefined);
  /** While it says true (a follower of the log), writes get READONLY, as a Redis replica answers them. */
  readOnly?: () => boolean;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const decoder = new TextDecoder();

/** A reply as Upstash's JSON: RESP2 shapes, strings as text or base64. */
function toJson(reply: Reply, b64: boolean): Json {
  if (reply === null) return null;
  if (typeof reply === "number") return reply;
  if (typeof reply === "bigint") return Number(reply);
  const str = (bytes: Uint8Array) => (b64 ? base64(bytes) : decoder.decode(bytes));
  if (reply instanceof Uint8Array) return str(reply);
  if (Array.isArray(reply)) return reply.map((r) => toJson(r, b64));
  if (reply instanceof SimpleString) return reply.value === "OK" || !b64 ? reply.value : base64(utf8(reply.value));
  if (reply instanceof DoubleReply) return str(utf8(formatDouble(reply.value)));
  if (reply instanceof MapReply) return reply.entries.flatMap(([k, v]) => [toJson(k, b64), toJson(v, b64)]);
  if (reply instanceof SetReply || reply instanceof PushReply) return reply.items.map((r) => toJson(r, b64));
  if (reply instanceof BoolReply) return reply.value ? 1 : 0;
  if (reply instanceof VerbatimReply) return str(reply.text);
  if (reply instanceof NullArray) return null;
  return null;
}

function toArgs(body: unknown): Uint8Array[] | null {
  if (!Array.isArray(body) || body.length === 0) return null;
  const args: Uint8Array[] = [];
  for (const a of body) {
    if (typeof a === "string") args.push(utf8(a));
    else if (typeof a === "number" || typeof a === "boolean") args.push(utf8(String(a)));
    else return null;
  }
  return args;
}

function newClient(engine: Engine): { client: Client; pushes: Reply[] } {
  const pushes: Reply[] = [];
  const client = new Client(engine, { deliver: (r) => pushes.push(r), resumed: () => {} });
  client.mayBlock = false;
  // The HTTP API's own bearer token has admitted the request: no AUTH over HTTP.
  client.authenticated = true;
  return { client, pushes };
}

/** The LSN each request's replies wait for (the highest of its commands'). */
const requestLsn = new WeakMap<Client, number>();
/** Requests with a read that ran while the primary did not hold its lease. */
const requestNeedsLease = new WeakSet<Client>();

function run(client: Client, pushes: Reply[], args: Uint8Array[], gate: CommitGate | undefined, readOnly: boolean): Reply {
  pushes.length = 0;
  if (readOnly) {
    const refusal = refuseWriteOnReplica(client, args);
    if (refusal !== null) return refusal;
  }
  if (gate !== undefined) {
    const refusal = gate.refuse(args, client);
    if (refusal !== null) return refusal;
  }
  const outcome = client.execute(args);
  if (gate !== undefined) {
    const lsn = gate.afterCommand(args, client.session.db);
    if (gate.replyNeedsLease && !(outcome instanceof ErrorReply)) requestNeedsLease.add(client);
    requestLsn.set(client, Math.max(requestLsn.get(client) ?? 0, lsn, pushes.length > 0 ? gate.deliveryLsn() : 0));
  }
  if (outcome === NO_REPLY) return [...pushes];
  if (outcome === BLOCKED) return new ErrorReply("ERR blocking commands are not available over HTTP");
  return outcome;
}

function resultOf(reply: Reply, b64: boolean): { result: Json } | { error: string } {
  return reply instanceof ErrorReply ? { error: reply.message } : { result: toJson(reply, b64) };
}

export function createHttpApi(engine: Engine, options: HttpApiOptions = {}): Hono {
  const app = new Hono();
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const gateOption = options.gate;
  const gateNow = (): CommitGate | undefined => (typeof gateOption === "function" ? gateOption() : gateOption);
  const readOnly = options.readOnly ?? (() => false);
  /** Waits until the request's replies may leave; else the error that replaces them (lease lost, or not durable). */
  const refusal = async (client: Client, gate: CommitGate | undefined): Promise<{ error: string } | null> => {
    if (gate === undefined) return null;
    const lsn = requestLsn.get(client) ?? 0;
    if (requestNeedsLease.has(client) && !(await gate.replicator.waitLease(60_000))) return { error: gate.leaseLost().message };
    if (lsn === 0 || await gate.replicator.waitCommitted(lsn)) return null;
    return { error: gate.notDurable().message };
  };

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/metrics", (c) => {
    const lines = [
      "# TYPE trireme_commands_processed_total counter",
      `trireme_commands_processed_total ${engine.stats.commands}`,
      "# TYPE trireme_used_memory_bytes gauge",
      `trireme_used_memory_bytes ${engine.usedMemory()}`,
      "# TYPE trireme_keys gauge",
      ...Array.from({ length: engine.databases }, (_, db) => `trireme_keys{db="${db}"} ${engine.core.x.ks_dbsize(db)}`),
      "# TYPE trireme_expired_keys_total counter",
      `trireme_expired_keys_total ${engine.stats.expiredKeys}`,
      "# TYPE trireme_evicted_keys_total counter",
      `trireme_evicted_keys_total ${engine.stats.evictedKeys}`,
    ];
    const extra = options.metrics?.();
    return c.text(lines.join("\n") + "\n" + (extra ?? ""), 200, { "content-type": "text/plain; version=0.0.4" });
  });

  app.use("*", async (c, next) => {
    if (options.token !== undefined) {
      const header = c.req.header("authorization") ?? "";
      const token = header.startsWith("Bearer ") ? header.slice(7) : c.req.query("_token");
      if (token !== options.token) return c.json({ error: "Unauthorized" }, 401);
    }
    const length = Number(c.req.header("content-length") ?? "0");
    if (length > maxBody) return c.json({ error: "ERR request body too large" }, 413);
    await next();
  });

  const readBody = async (c: Context): Promise<unknown> => {
    const raw = await c.req.text();
    if (raw.length > maxBody) throw new SyntaxError("body too large");
    return raw === "" ? undefined : JSON.parse(raw);
  };

  app.post("/pipeline", async (c) => {
    const b64 = c.req.header("upstash-encoding") === "base64";
    let body: unknown;
    try { body = await readBody(c); } catch { return c.json({ error: "ERR failed to parse pipeline request" }, 400); }
    if (!Array.isArray(body)) return c.json({ error: "ERR failed to parse pipeline request" }, 400);
    const { client, pushes } = newClient(engine);
    const gate = gateNow();
    const ro = readOnly();
    try {
      const results = body.map((cmd) => {
        const args = toArgs(cmd);
        return args === null ? { error: "ERR malformed command" } : resultOf(run(client, pushes, args, gate, ro), b64);
      });
      const refused = await refusal(client, gate);
      if (refused !== null) return c.json(results.map(() => refused));
      return c.json(results);
    } finally {
      client.close();
    }
  });

  app.post("/multi-exec", async (c) => {
    const b64 = c.req.header("upstash-encoding") === "base64";
    let body: unknown;
    try { body = await readBody(c); } catch { return c.json({ error: "ERR failed to parse multi-exec request" }, 400); }
    if (!Array.isArray(body)) return c.json({ error: "ERR failed to parse multi-exec request" }, 400);
    const commands = body.map(toArgs);
    if (commands.some((a) => a === null)) return c.json({ error: "ERR malformed command" }, 400);
    const { client, pushes } = newClient(engine);
    const gate = gateNow();
    const ro = readOnly();
    try {
      run(client, pushes, [utf8("MULTI")], gate, ro);
      const queued = commands.map((args) => run(client, pushes, args!, gate, ro));
      const failed = queued.find((r) => r instanceof ErrorReply);
      const exec = run(client, pushes, [utf8("EXEC")], gate, ro);
      const refused = await refusal(client, gate);
      if (refused !== null) return c.json(refused, 400);
      if (exec instanceof ErrorReply) return c.json({ error: failed instanceof ErrorReply ? failed.message : exec.message }, 400);
      return c.json((exec as Reply[]).map((r) => resultOf(r, b64)));
    } finally {
      client.close();
    }
  });

  const single = async (c: Context, pathArgs: string[]) => {
    const b64 = c.req.header("upstash-encoding") === "base64";
    let args: Uint8Array[] | null;
    if (pathArgs.length > 0) {
      args = pathArgs.map(utf8);
      if (c.req.method === "POST") {
        const extra = await c.req.text();
        if (extra !== "") args.push(utf8(extra));
      }
    } else {
      let body: unknown;
      try { body = await readBody(c); } catch { return c.json({ error: "ERR failed to parse command" }, 400); }
      args = toArgs(body);
    }
    if (args === null) return c.json({ error: "ERR failed to parse command" }, 400);
    const { client, pushes } = newClient(engine);
    const gate = gateNow();
    try {
      const out = resultOf(run(client, pushes, args, gate, readOnly()), b64);
      const refused = await refusal(client, gate);
      if (refused !== null) return c.json(refused, 400);
      return c.json(out, "error" in out ? 400 : 200);
    } finally {
      client.close();
    }
  };

  app.post("/", (c) => single(c, []));
  app.on(["GET", "POST"], "/*", (c) => {
    const parts = new URL(c.req.url).pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
    return single(c, parts);
  });

  return app;
}
