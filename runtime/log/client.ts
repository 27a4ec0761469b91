// A client of one log store, over the protocol of protocol.ts: fetch for
// requests, WebSocket for the append and tail streams. It uses only what
// Node, workerd and browsers share, and it puts the token in the WebSocket
// subprotocol because browsers cannot set headers on a WebSocket.
//
//   const store = new LogStoreClient("http://127.0.0.1:7001", token);
//   await store.promise({ epoch: 3, candidate: "primary-a" });
//   const stream = await store.openAppendStream();
//   await stream.append({ epoch: 3, frames });       // resolves when durable
//   const tail = store.tail(1, { onFrames, onEvent }); tail.close();
//
// The client decides nothing: the primary (a later layer) owns retries,
// quorums and timeouts.

import {
  HEADER_FIRST_LSN, HEADER_LAST_EPOCH, HEADER_LAST_LSN, HEADER_SNAPSHOT_CRC32C, HEADER_SNAPSHOT_EPOCH,
  HEADER_SNAPSHOT_LSN, LOG_PATH_PREFIX, LOG_WS_SUBPROTOCOL, LOG_WS_TOKEN_PROTOCOL_PREFIX, base64url,
  encodeAppendMessage, logError,
  type AppendReply, type AppendRequest, type AppendStreamReply, type LogError, type PromiseReply,
  type PromiseRequest, type PutSnapshotReply, type PutSnapshotRequest, type ReadReply, type ReadRequest,
  type SnapshotInfo, type StoreStatus, type TailEvent, type TrimReply, type TrimRequest, type TruncateReply, type ReleaseLeaseReply, type ReleaseLeaseRequest,
  type TruncateRequest,
} from "./protocol.ts";
import type { StoredSnapshot } from "./backend.ts";
import { utf8 } from "../bytes.ts";

export class LogStoreClient {
  readonly url: string;
  private readonly token: string;

  /** `url` is the store's base, e.g. http://127.0.0.1:7001 (no trailing /v1). */
  constructor(url: string, token: string) {
    this.url = url.replace(/\/+$/, "");
    this.token = token;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T | LogError> {
    const response = await fetch(`${this.url}${LOG_PATH_PREFIX}${path}`, {
      method,
      headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return await response.json() as T | LogError;
  }

  status(): Promise<StoreStatus | LogError> {
    return this.json<StoreStatus>("GET", "/status");
  }

  promise(request: PromiseRequest): Promise<PromiseReply> {
    return this.json("POST", "/promise", request);
  }

  /** One append over HTTP (the append stream is the fast path). */
  async append(request: AppendRequest): Promise<AppendReply> {
    const response = await fetch(
      `${this.url}${LOG_PATH_PREFIX}/append?epoch=${request.epoch}&commit=${request.commitLsn ?? 0}${request.renew === false ? "&renew=0" : ""}`,
      { method: "POST", headers: this.headers({ "content-type": "application/octet-stream" }), body: request.frames as Uint8Array<ArrayBuffer> },
    );
    return await response.json() as AppendReply;
  }

  truncate(request: TruncateRequest): Promise<TruncateReply> {
    return this.json("POST", "/truncate", request);
  }

  trim(request: TrimRequest): Promise<TrimReply> {
    return this.json("POST", "/trim", request);
  }

  releaseLease(request: ReleaseLeaseRequest): Promise<ReleaseLeaseReply> {
    return this.json("POST", "/release-lease", request);
  }

  async read(request: ReadRequest): Promise<ReadReply> {
    const response = await fetch(
      `${this.url}${LOG_PATH_PREFIX}/records?from=${request.fromLsn}&max_bytes=${request.maxBytes}`,
      { headers: this.headers() },
    );
    if (!response.ok) return await response.json() as LogError;
    const frames = new Uint8Array(await response.arrayBuffer());
    const lastLsn = Number(response.headers.get(HEADER_LAST_LSN));
    const firstLsn = Number(response.headers.get(HEADER_FIRST_LSN));
    // The records are consecutive from fromLsn; count them from the frames' lengths.
    let records = 0;
    const view = new DataView(frames.buffer, frames.byteOffset, frames.byteLength);
    for (let at = 0; at + 8 <= frames.length; at += 8 + view.getUint32(at, true)) records++;
    return { ok: true, frames, records, firstLsn, tail: { lastLsn, lastEpoch: Number(response.headers.get(HEADER_LAST_EPOCH)) } };
  }

  async putSnapshot(request: PutSnapshotRequest): Promise<PutSnapshotReply> {
    const response = await fetch(
      `${this.url}${LOG_PATH_PREFIX}/snapshots/${request.lsn}?epoch=${request.epoch}&record_epoch=${request.recordEpoch}`,
      // fetch sends a view of shared memory as text ("0,0,..."): such an image goes as a copy.
      { method: "PUT", headers: this.headers({ "content-type": "application/octet-stream" }),
        body: (request.data.buffer instanceof SharedArrayBuffer ? new Uint8Array(request.data) : request.data) as Uint8Array<ArrayBuffer> },
    );
    return await response.json() as PutSnapshotReply;
  }

  async listSnapshots(): Promise<SnapshotInfo[] | LogError> {
    const reply = await this.json<{ ok: true; snapshots: SnapshotInfo[] }>("GET", "/snapshots");
    return reply.ok ? reply.snapshots : reply;
  }

  async getSnapshot(lsn: number | "latest"): Promise<StoredSnapshot | null | LogError> {
    const response = await fetch(`${this.url}${LOG_PATH_PREFIX}/snapshots/${lsn}`, { headers: this.headers() });
    if (response.status === 404) return null;
    if (!response.ok) return await response.json() as LogError;
    const data = new Uint8Array(await response.arrayBuffer());
    return {
      data,
      info: {
        lsn: Number(response.headers.get(HEADER_SNAPSHOT_LSN)),
        epoch: Number(response.headers.get(HEADER_SNAPSHOT_EPOCH)),
        crc32c: Number(response.headers.get(HEADER_SNAPSHOT_CRC32C)),
        bytes: data.length,
      },
    };
  }

  private socket(path: string): WebSocket {
    const url = `${this.url.replace(/^http/, "ws")}${LOG_PATH_PREFIX}${path}`;
    const ws = new WebSocket(url, [LOG_WS_SUBPROTOCOL, LOG_WS_TOKEN_PROTOCOL_PREFIX + base64url(utf8(this.token))]);
    ws.binaryType = "arraybuffer";
    return ws;
  }

  /** Opens the append stream; rejects if the store refuses the connection. */
  openAppendStream(): Promise<AppendStream> {
    const ws = this.socket("/append");
    return new Promise((resolve, reject) => {
      ws.addEventListener("open", () => resolve(AppendStream.overWebSocket(ws)), { once: true });
      ws.addEventListener("error", () => reject(new Error(`append stream to ${this.url} failed to open`)), { once: true });
    });
  }

  /** Tails the log from `fromLsn`: frames and events as they come, until close(). */
  tail(fromLsn: number, handlers: TailHandlers): TailStream {
    const ws = this.socket(`/tail?from=${fromLsn}`);
    ws.addEventListener("message", (event) => {
      if (typeof event.data === "string") handlers.onEvent?.(JSON.parse(event.data) as TailEvent);
      else handlers.onFrames(new Uint8Array(event.data as ArrayBuffer));
    });
    ws.addEventListener("open", () => handlers.onOpen?.());
    ws.addEventListener("close", (event) => handlers.onClose?.(event.code, event.reason));
    ws.addEventListener("error", () => handlers.onError?.());
    return { close: () => ws.close(), socket: ws };
  }
}

export interface TailHandlers {
  /** A run of whole frames, in LSN order. */
  onFrames(frames: Uint8Array): void;
  onEvent?(event: TailEvent): void;
  onOpen?(): void;
  onClose?(code: number, reason: string): void;
  onError?(): void;
}

export interface TailStream {
  close(): void;
  readonly socket: WebSocket;
}

/**
 * What an append stream travels over: the WebSocket here, a MessagePort for a
 * store in a worker thread of this process (server/logstore/thread.ts). It
 * carries append messages (protocol.ts, encodeAppendMessage) one way and
 * AppendStreamReply the other, in order.
 */
export interface AppendTransport {
  readonly open: boolean;
  /** Sends append `id` as an append message, encoded where the transport wants it. */
  send(id: number, request: AppendRequest): void;
  /** The store answered append `id`: whatever the transport kept for it may be reused. */
  replied?(id: number): void;
  close(): void;
}

/**
 * Pipelined appends over one transport; replies come back in order. The
 * transport hands each reply to `receive` and calls `closed` once it closes.
 */
export class AppendStream {
  private readonly transport: AppendTransport;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: AppendReply) => void>();
  /** Called once when the transport closes (after the pending appends were failed). */
  onClose: (() => void) | undefined;

  constructor(transport: AppendTransport) {
    this.transport = transport;
  }

  /** A WebSocket's append stream: replies arrive as JSON text. */
  static overWebSocket(ws: WebSocket): AppendStream {
    const stream = new AppendStream({
      get open() {
        return ws.readyState === 1;
      },
      send: (id, request) => ws.send(encodeAppendMessage(id, request) as Uint8Array<ArrayBuffer>),
      close: () => ws.close(),
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data === "string") stream.receive(JSON.parse(event.data) as AppendStreamReply);
    });
    ws.addEventListener("close", () => stream.closed());
    return stream;
  }

  receive(message: AppendStreamReply): void {
    this.transport.replied?.(message.id);
    const settle = this.pending.get(message.id);
    if (settle === undefined) return;
    this.pending.delete(message.id);
    if (message.type === "ack") settle({ ok: true, lastLsn: message.lastLsn, records: message.records });
    else {
      const { type: _type, id: _id, ...error } = message;
      settle(error);
    }
  }

  closed(): void {
    for (const settle of this.pending.values()) settle(logError("io-error", "append stream closed before the reply"));
    this.pending.clear();
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.();
  }

  get open(): boolean {
    return this.transport.open;
  }

  /** Sends an append; resolves with the store's reply (ok: durable). */
  append(request: AppendRequest): Promise<AppendReply> {
    if (!this.transport.open) return Promise.resolve(logError("io-error", "append stream is not open"));
    const id = this.nextId;
    this.nextId = (this.nextId % 0xffff_fffe) + 1;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.transport.send(id, request);
    });
  }

  close(): void {
    this.transport.close();
  }
}
