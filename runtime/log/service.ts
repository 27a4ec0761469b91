// The log-store service: the protocol (protocol.ts, docs/durability.md) over
// HTTP and WebSocket, as a Hono app over any LogBackend. It knows no runtime:
// the host passes its backend and its Hono `upgradeWebSocket` (from
// @hono/node-server on Node, from hono/cloudflare-workers in a Worker) and
// serves `app.fetch`.
//
// Every request needs the bearer token; a WebSocket upgrade may carry it in
// the Authorization header or, for clients that cannot set headers, in the
// token subprotocol. Requests are bounded (LogLimits) before their bodies are
// read. Replies to the append stream leave in the order the appends came in,
// whatever order the backend finishes them in.

import { Hono, type Context } from "hono";
import type { UpgradeWebSocket, WSContext } from "hono/ws";
import { DEFAULT_LOG_LIMITS, type LogBackend, type LogLimits } from "./backend.ts";
import { OrderedAppends } from "./append-order.ts";
import { startTailPump } from "./tail-pump.ts";
import { utf8 } from "../bytes.ts";
import {
  HEADER_FIRST_LSN, HEADER_LAST_EPOCH, HEADER_LAST_LSN, HEADER_SNAPSHOT_CRC32C, HEADER_SNAPSHOT_EPOCH,
  HEADER_SNAPSHOT_LSN, LOG_ERROR_STATUS, LOG_PATH_PREFIX, LOG_WS_TOKEN_PROTOCOL_PREFIX, decodeAppendMessage,
  fromBase64url, logError, type AppendStreamReply, type LogError, type LogTail, type TailEvent,
} from "./protocol.ts";

export interface LogServiceOptions {
  /** The bearer token every request must carry. */
  token: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  upgradeWebSocket: UpgradeWebSocket<any>;
  limits?: Partial<LogLimits>;
  /** Bytes a tail stream may have queued on its socket before it waits (default 8 MiB). */
  tailBufferedBytesMax?: number;
  /** Errors the service could not answer with (a socket gone, a backend failure). */
  onError?: (error: unknown) => void;
}

/** Compares in time that depends only on the length (which a token does not need to hide). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function errorStatus(error: LogError): 400 | 401 | 404 | 409 | 410 | 413 | 500 {
  return LOG_ERROR_STATUS[error.error] as 400 | 401 | 404 | 409 | 410 | 413 | 500;
}

function reply(c: Context, value: { ok: true } | LogError | object): Response {
  if ("ok" in value && value.ok === false) return c.json(value, errorStatus(value as LogError));
  return c.json(value);
}

/** A query parameter as a non-negative safe integer; undefined when absent, NaN when malformed. */
function intParam(c: Context, name: string): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  return /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
}

function badRequest(c: Context, message: string): Response {
  return reply(c, logError("bad-request", message));
}

/** The request body, refused past `max` bytes without reading it all. */
async function readBody(c: Context, max: number): Promise<Uint8Array | LogError> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > max) {
    return logError("too-large", `body of ${declared} bytes is above the limit of ${max}`);
  }
  const body = c.req.raw.body;
  if (body === null) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      return logError("too-large", `body is above the limit of ${max} bytes`);
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function readJson(c: Context): Promise<Record<string, unknown> | LogError> {
  const body = await readBody(c, 64 * 1024);
  if ("ok" in body) return body;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(body));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return logError("bad-request", "body must be a JSON object");
    return value as Record<string, unknown>;
  } catch {
    return logError("bad-request", "body is not JSON");
  }
}

export function createLogStoreApp(backend: LogBackend, options: LogServiceOptions): Hono {
  const limits: LogLimits = { ...DEFAULT_LOG_LIMITS, ...options.limits };
  const tailBufferedBytesMax = options.tailBufferedBytesMax ?? 8 * 1024 * 1024;
  const onError = options.onError ?? ((error: unknown) => console.error("log store:", error));
  const token = utf8(options.token);
  if (token.length === 0) throw new Error("the log store needs a non-empty token");
  const upgrade = options.upgradeWebSocket;
  const app = new Hono();

  const authorized = (c: Context): boolean => {
    const header = c.req.header("authorization");
    if (header !== undefined && /^bearer /i.test(header)) return sameBytes(utf8(header.slice(7).trim()), token);
    const protocols = c.req.header("sec-websocket-protocol");
    if (protocols !== undefined && c.req.header("upgrade")?.toLowerCase() === "websocket") {
      for (const p of protocols.split(",")) {
        const name = p.trim();
        if (!name.startsWith(LOG_WS_TOKEN_PROTOCOL_PREFIX)) continue;
        const offered = fromBase64url(name.slice(LOG_WS_TOKEN_PROTOCOL_PREFIX.length));
        if (offered !== null && sameBytes(offered, token)) return true;
      }
    }
    return false;
  };

  app.use("*", async (c, next) => {
    if (!authorized(c)) {
      c.header("WWW-Authenticate", 'Bearer realm="trireme-log"');
      return reply(c, logError("unauthorized", "a valid bearer token is required"));
    }
    await next();
  });

  app.onError((error, c) => {
    onError(error);
    return reply(c, logError("io-error", error instanceof Error ? error.message : String(error)));
  });

  const p = LOG_PATH_PREFIX;

  app.get(`${p}/status`, async (c) => c.json(await backend.status()));

  app.post(`${p}/promise`, async (c) => {
    const body = await readJson(c);
    if ("ok" in body) return reply(c, body);
    return reply(c, await backend.promise({
      epoch: body.epoch as number, candidate: body.candidate as string,
      ...(body.leaseMs === undefined ? {} : { leaseMs: body.leaseMs as number }),
    }));
  });

  app.post(`${p}/append`, async (c) => {
    const epoch = intParam(c, "epoch");
    const commitLsn = intParam(c, "commit") ?? 0;
    if (epoch === undefined || Number.isNaN(epoch) || Number.isNaN(commitLsn)) return badRequest(c, "epoch (and commit, if given) must be integers");
    const renew = c.req.query("renew");
    if (renew !== undefined && renew !== "0" && renew !== "1") return badRequest(c, "renew must be 0 or 1");
    const frames = await readBody(c, limits.appendBytesMax);
    if ("ok" in frames) return reply(c, frames);
    return reply(c, await backend.append(renew === "0" ? { epoch, frames, commitLsn, renew: false } : { epoch, frames, commitLsn }));
  });

  app.post(`${p}/truncate`, async (c) => {
    const body = await readJson(c);
    if ("ok" in body) return reply(c, body);
    return reply(c, await backend.truncate({
      epoch: body.epoch as number, afterLsn: body.afterLsn as number,
      ...(body.ifTail === undefined ? {} : { ifTail: body.ifTail as LogTail }),
    }));
  });

  app.post(`${p}/trim`, async (c) => {
    const body = await readJson(c);
    if ("ok" in body) return reply(c, body);
    return reply(c, await backend.trim({ epoch: body.epoch as number, lsn: body.lsn as number }));
  });

  app.post(`${p}/release-lease`, async (c) => {
    const body = await readJson(c);
    if ("ok" in body) return reply(c, body);
    return reply(c, await backend.releaseLease({ epoch: body.epoch as number, candidate: body.candidate as string }));
  });

  app.get(`${p}/records`, async (c) => {
    const fromLsn = intParam(c, "from");
    const maxBytes = intParam(c, "max_bytes") ?? limits.readBytesMax;
    if (fromLsn === undefined || Number.isNaN(fromLsn) || Number.isNaN(maxBytes)) return badRequest(c, "from (and max_bytes, if given) must be integers");
    const result = await backend.read({ fromLsn, maxBytes: Math.min(maxBytes, limits.readBytesMax) });
    if (!result.ok) return reply(c, result);
    return c.body(result.frames as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/octet-stream",
      [HEADER_FIRST_LSN]: String(result.firstLsn),
      [HEADER_LAST_LSN]: String(result.tail.lastLsn),
      [HEADER_LAST_EPOCH]: String(result.tail.lastEpoch),
    });
  });

  app.get(`${p}/snapshots`, async (c) => c.json({ ok: true, snapshots: await backend.listSnapshots() }));

  app.get(`${p}/snapshots/:which`, async (c) => {
    const which = c.req.param("which");
    if (which !== "latest" && !/^\d{1,16}$/.test(which)) return badRequest(c, "a snapshot is named by its LSN or 'latest'");
    const found = await backend.getSnapshot(which === "latest" ? "latest" : Number(which));
    if (found === null) return reply(c, logError("not-found", `no snapshot ${which}`));
    return c.body(found.data as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/octet-stream",
      [HEADER_SNAPSHOT_LSN]: String(found.info.lsn),
      [HEADER_SNAPSHOT_EPOCH]: String(found.info.epoch),
      [HEADER_SNAPSHOT_CRC32C]: String(found.info.crc32c),
    });
  });

  app.put(`${p}/snapshots/:lsn`, async (c) => {
    const lsnText = c.req.param("lsn");
    const epoch = intParam(c, "epoch");
    const recordEpoch = intParam(c, "record_epoch");
    if (!/^\d{1,16}$/.test(lsnText) || epoch === undefined || recordEpoch === undefined || Number.isNaN(epoch) || Number.isNaN(recordEpoch)) {
      return badRequest(c, "PUT /v1/snapshots/:lsn needs epoch and record_epoch integers");
    }
    const data = await readBody(c, limits.snapshotBytesMax);
    if ("ok" in data) return reply(c, data);
    return reply(c, await backend.putSnapshot({ epoch, lsn: Number(lsnText), recordEpoch, data }));
  });

  app.get(`${p}/append`, upgrade(() => {
    // Appends start at once (so the backend can commit them as a group) and
    // their replies leave in arrival order.
    const appends = new OrderedAppends(backend, onError);
    return {
      onMessage(event, ws) {
        const data = event.data;
        if (typeof data === "string" || !(data instanceof ArrayBuffer)) {
          sendJson(ws, { type: "error", id: 0, ...logError("bad-request", "append messages are binary") });
          return;
        }
        const decoded = decodeAppendMessage(new Uint8Array(data));
        if (decoded === null) {
          sendJson(ws, { type: "error", id: 0, ...logError("bad-request", "not an append message") });
          return;
        }
        appends.append(decoded.request, (result) => {
          const message: AppendStreamReply = result.ok
            ? { type: "ack", id: decoded.id, lastLsn: result.lastLsn, records: result.records }
            : { type: "error", id: decoded.id, ...result };
          sendJson(ws, message);
        });
      },
    };
  }));

  app.get(`${p}/tail`, upgrade((c) => {
    const from = intParam(c, "from") ?? 1;
    let stop: (() => void) | undefined;
    return {
      onOpen(_event, ws) {
        stop = startTail(ws, from);
      },
      onClose() {
        stop?.();
      },
      onError() {
        stop?.();
      },
    };
  }));

  function sendJson(ws: WSContext, message: AppendStreamReply | TailEvent): void {
    if (ws.readyState !== 1) return;
    try {
      ws.send(JSON.stringify(message));
    } catch (error) {
      onError(error);
    }
  }

  /** Streams the log from `from` to one socket (tail-pump.ts); returns the function that stops it. */
  function startTail(ws: WSContext, from: number): () => void {
    return startTailPump(backend, from, {
      open: () => ws.readyState <= 1,
      sendFrames: (frames) => {
        if (ws.readyState !== 1) return false;
        ws.send(frames as Uint8Array<ArrayBuffer>);
        return true;
      },
      sendEvent: (event) => sendJson(ws, event),
      buffered: () => (ws.raw as { bufferedAmount?: number } | undefined)?.bufferedAmount ?? 0,
      close: (code, reason) => { if (ws.readyState === 1) ws.close(code, reason); },
    }, {
      readBytesMax: limits.readBytesMax,
      bufferedBytesMax: tailBufferedBytesMax,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      onError,
    });
  }

  return app;
}
