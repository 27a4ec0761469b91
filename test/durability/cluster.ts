// A durable Trireme for fault tests: three log-store processes on fixed
// loopback ports (so a store restarted after kill -9 comes back at the same
// URL) and a primary process using them, plus a RESP client that reports a
// connection lost before a reply as such, and a reader of the stores' logs.
import { expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection, type Socket } from "node:net";
import { startLogStoreProcess, type RunningLogStoreProcess } from "../helpers/logstore-process.ts";
import { startTrireme, freePortGuess, type RunningTrireme, type StartOptions } from "../helpers/trireme-server.ts";
import { LogStoreClient } from "../../runtime/log/client.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { decodeFrames } from "../../runtime/log/frame.ts";
import { decodeEffects } from "../../runtime/log/payload.ts";
import { encodeCommand, parseValue, type RespValue } from "../../runtime/resp.ts";
import { concatBytes, toBytes, type Arg } from "../../runtime/bytes.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { coreModule } from "../helpers/core-bytes.ts";

export const crc32c = await loadCrc32c(coreModule());

const td = new TextDecoder();

export interface StoreSlot {
  readonly region: string;
  readonly dir: string;
  port: number;
  proc: RunningLogStoreProcess | null;
}

export class Cluster {
  readonly root = mkdtempSync(join(tmpdir(), "trireme-durability-"));
  readonly token = "durability-test-token";
  readonly stores: StoreSlot[] = [];
  primary: RunningTrireme | null = null;
  /** Extra flags of every store process (e.g. --segment-bytes). */
  storeArgs: string[] = [];
  /** Primaries started besides `primary` (two primaries on one log); close() kills them. */
  readonly otherPrimaries: RunningTrireme[] = [];
  /** The URLs primaries reach the stores at: the stores' own, or proxies in front of them. */
  primaryUrls: string[] | null = null;
  /** Standbys and replicas started by startFollower. */
  readonly followers: RunningTrireme[] = [];

  static async start(count = 3, storeArgs: string[] = []): Promise<Cluster> {
    const cluster = new Cluster();
    cluster.storeArgs = storeArgs;
    for (let i = 0; i < count; i++) {
      const region = `r${i}`;
      cluster.stores.push({ region, dir: join(cluster.root, region), port: 0, proc: null });
    }
    await Promise.all(cluster.stores.map((_, i) => cluster.startStore(i)));
    return cluster;
  }

  get urls(): string[] {
    return this.stores.map((s) => `http://127.0.0.1:${s.port}`);
  }

  /** Starts (or restarts, on its old port) store `i`. */
  async startStore(i: number): Promise<void> {
    const slot = this.stores[i]!;
    for (let attempt = 1; ; attempt++) {
      const port = slot.port === 0 ? freePortGuess() : slot.port;
      try {
        slot.proc = await startLogStoreProcess({ dir: slot.dir, token: this.token, region: slot.region, extraArgs: ["--port", String(port), ...this.storeArgs] });
        slot.port = port;
        return;
      } catch (error) {
        if (attempt >= 8 || !/EADDRINUSE/.test(String(error))) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async kill9Store(i: number): Promise<void> {
    await this.stores[i]!.proc?.kill9();
    this.stores[i]!.proc = null;
  }

  /** SIGSTOP / SIGCONT: the store stays up but answers nothing. */
  pauseStore(i: number): void {
    this.stores[i]!.proc!.process.kill("SIGSTOP");
  }

  resumeStore(i: number): void {
    this.stores[i]!.proc!.process.kill("SIGCONT");
  }

  async startPrimary(extra: string[] = []): Promise<RunningTrireme> {
    this.primary = await startTrireme([
      "--durability", "quorum", "--log-stores", (this.primaryUrls ?? this.urls).join(","), "--log-token", this.token,
      "--dir", join(this.root, "primary"), ...extra,
    ]);
    return this.primary;
  }

  /**
   * A second primary on the same stores while `primary` runs (through `urls` if given):
   * it takes the next epoch once `primary`'s lease has lapsed, and listens only then
   * (`{ noWait: true }` returns before; its `ready()` waits).
   */
  async startAnotherPrimary(extra: string[] = [], urls = this.primaryUrls ?? this.urls, options: StartOptions = {}): Promise<RunningTrireme> {
    const another = await startTrireme([
      "--durability", "quorum", "--log-stores", urls.join(","), "--log-token", this.token,
      "--dir", join(this.root, `primary-${this.otherPrimaries.length + 2}`), ...extra,
    ], options);
    this.otherPrimaries.push(another);
    return another;
  }

  /** A standby (`--standby`) or read replica (`--replica`) of this cluster's log (through `urls` if given), with its own --dir. */
  async startFollower(role: "standby" | "replica", extra: string[] = [], urls = this.urls): Promise<RunningTrireme> {
    const follower = await startTrireme([
      `--${role}`, "--durability", "quorum", "--log-stores", urls.join(","), "--log-token", this.token,
      "--dir", join(this.root, `${role}-${this.followers.length}`), ...extra,
    ]);
    this.followers.push(follower);
    return follower;
  }

  async kill9Primary(): Promise<void> {
    const p = this.primary;
    if (p === null) return;
    const gone = new Promise((r) => p.process.once("exit", r));
    if (p.process.exitCode === null && p.process.signalCode === null) {
      p.process.kill("SIGKILL");
      await gone;
    }
    this.primary = null;
  }

  client(i: number): LogStoreClient {
    return new LogStoreClient(this.urls[i]!, this.token);
  }

  /**
   * Waits until every store's log ends at `logEnd` (the serving primary's),
   * then reads the stores' logs and checks they hold the same records (LSN
   * and epoch); returns them.
   */
  async convergedLogs(logEnd: number): Promise<StoredRecord[][]> {
    expect(await eventually(async () => {
      const statuses = await Promise.all(this.stores.map((_, i) => this.client(i).status()));
      return statuses.every((s) => "lastLsn" in s && s.lastLsn === logEnd);
    }, 20_000)).toBe(true);
    const logs = await Promise.all(this.stores.map((_, i) => readStoreLog(this.client(i))));
    const lsnEpochs = (records: StoredRecord[]) => records.map((r) => `${r.lsn}/${r.epoch}`);
    for (const log of logs.slice(1)) expect(lsnEpochs(log)).toEqual(lsnEpochs(logs[0]!));
    return logs;
  }

  async close(): Promise<void> {
    await this.kill9Primary();
    for (const p of this.otherPrimaries.splice(0)) {
      if (p.process.exitCode === null && p.process.signalCode === null) {
        const gone = new Promise((r) => p.process.once("exit", r));
        p.process.kill("SIGKILL");
        await gone;
      }
    }
    for (const f of this.followers) {
      if (f.process.exitCode !== null || f.process.signalCode !== null) continue;
      const gone = new Promise((r) => f.process.once("exit", r));
      try { f.process.kill("SIGCONT"); } catch { /* gone */ }
      f.process.kill("SIGKILL");
      await gone;
    }
    for (const s of this.stores) {
      if (s.proc !== null) {
        try { s.proc.process.kill("SIGCONT"); } catch { /* gone */ }
        await s.proc.kill9();
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface StoredRecord {
  lsn: number;
  epoch: number;
  effects: EffectRecord[];
}

/** Every record a store holds (from `from`), decoded. */
export async function readStoreLog(store: LogStoreClient, from = 1): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let next = from;
  for (;;) {
    const r = await store.read({ fromLsn: next, maxBytes: 1024 * 1024 });
    if (!r.ok) throw new Error(`${r.error}: ${r.message}`);
    if (r.records === 0) return out;
    const { records, fault } = decodeFrames(r.frames, crc32c, { expectLsn: next });
    if (fault !== undefined) throw new Error(fault.message);
    for (const rec of records) out.push({ lsn: rec.lsn, epoch: rec.epoch, effects: decodeEffects(rec.payload) });
    next += records.length;
  }
}

/** The SET effects of a log: key -> value of the last SET of each key. */
export function setsIn(records: StoredRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records) {
    for (const e of r.effects) {
      if (td.decode(e.args[0]).toUpperCase() === "SET") out.set(td.decode(e.args[1]), td.decode(e.args[2]));
    }
  }
  return out;
}

/** Every value each key was SET to in a log, in log order: the history reads are checked against. */
export function setHistoryIn(records: StoredRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    for (const e of r.effects) {
      if (td.decode(e.args[0]).toUpperCase() !== "SET") continue;
      const key = td.decode(e.args[1]);
      let values = out.get(key);
      if (values === undefined) out.set(key, values = []);
      values.push(td.decode(e.args[2]));
    }
  }
  return out;
}

/** A RESP client whose pending commands fail with ConnectionLost when the socket closes. */
export class ConnectionLost extends Error {}

export class Conn {
  private buffer: Uint8Array = new Uint8Array(0);
  private waiting: Array<{ resolve: (v: RespValue) => void; reject: (e: Error) => void }> = [];
  private closed = false;
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.onData(new Uint8Array(chunk)));
    const lost = () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w.reject(new ConnectionLost("connection lost before the reply"));
    };
    socket.on("close", lost);
    socket.on("error", lost);
  }

  static connect(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => resolve(new Conn(socket)));
      socket.once("error", reject);
    });
  }

  private onData(chunk: Uint8Array): void {
    this.buffer = this.buffer.length === 0 ? chunk : concatBytes([this.buffer, chunk]);
    while (this.waiting.length > 0) {
      const r = parseValue(this.buffer, 0);
      if (r === "incomplete") return;
      this.buffer = this.buffer.subarray(r.consumed);
      this.waiting.shift()!.resolve(r.value);
    }
  }

  send(...args: Arg[]): Promise<RespValue> {
    if (this.closed) return Promise.reject(new ConnectionLost("connection closed"));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeCommand(args.map(toBytes)));
    });
  }

  /** Sends the commands in one socket write (so the server gets them as one chunk); resolves with their replies. */
  pipeline(commands: Arg[][]): Promise<RespValue[]> {
    if (this.closed) return Promise.reject(new ConnectionLost("connection closed"));
    const replies = commands.map(() => new Promise<RespValue>((resolve, reject) => this.waiting.push({ resolve, reject })));
    this.socket.write(concatBytes(commands.map((args) => encodeCommand(args.map(toBytes)))));
    return Promise.all(replies);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function text(v: RespValue): string | null {
  if (v.type === "bulk") return v.value === null ? null : td.decode(v.value);
  if (v.type === "simple" || v.type === "error") return v.value;
  if (v.type === "integer") return String(v.value);
  return JSON.stringify(v);
}

/** Resolves with the promise's value, or `timedOut` if it takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | "timed out"> {
  return Promise.race([promise, new Promise<"timed out">((r) => setTimeout(() => r("timed out"), ms))]);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `ms` pass; returns whether it did. */
export async function eventually(check: () => Promise<boolean>, ms: number, every = 100): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(every);
  }
}

/** The values of `keys` on a server (MGET in batches of 500); null for a missing key. */
export async function valuesOf(conn: Conn, keys: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const reply = await conn.send("MGET", ...batch);
    if (reply.type !== "array") throw new Error(`MGET answered ${JSON.stringify(text(reply))}`);
    const vs = (reply as { value: Array<{ value: Uint8Array | null }> }).value;
    batch.forEach((k, j) => out.set(k, vs[j]!.value === null ? null : td.decode(vs[j]!.value!)));
  }
  return out;
}

/** INFO persistence (or another section) as a map of fields. */
export async function persistenceInfo(conn: Conn, section = "persistence"): Promise<Map<string, string>> {
  const reply = text(await conn.send("INFO", section))!;
  const out = new Map<string, string>();
  for (const line of reply.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

/**
 * A write load: `clients` connections, each setting its own keys in order
 * (w<c>:<i> = v<i>), recording each command's outcome: acknowledged (OK),
 * failed (an error reply), or unknown (the connection was lost first).
 */
export class WriteLoad {
  readonly acked = new Map<string, string>();
  readonly failed = new Map<string, string>();
  readonly unknown = new Map<string, string>();
  readonly errors: string[] = [];
  private running = true;
  private readonly done: Promise<void>[] = [];
  ackTimes: number[] = [];

  constructor(port: number, clients: number, prefix = "w") {
    for (let c = 0; c < clients; c++) this.done.push(this.run(port, `${prefix}${c}`));
  }

  private async run(port: number, name: string): Promise<void> {
    let conn: Conn;
    try {
      conn = await Conn.connect(port);
    } catch {
      return;
    }
    for (let i = 0; this.running; i++) {
      const key = `${name}:${i}`;
      const value = `v${i}`;
      try {
        const reply = await conn.send("SET", key, value);
        if (reply.type === "simple" && reply.value === "OK") {
          this.acked.set(key, value);
          this.ackTimes.push(Date.now());
        } else {
          this.failed.set(key, value);
          this.errors.push(text(reply) ?? "");
        }
      } catch {
        this.unknown.set(key, value);
        return;
      }
    }
    conn.close();
  }

  acksSince(t: number): number {
    return this.ackTimes.filter((x) => x >= t).length;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.done);
  }
}
