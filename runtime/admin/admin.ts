// The administrative state of one engine, shared by every host: the config
// registry, the slow log, the latency monitor, command statistics, the
// connected clients as CLIENT LIST sees them, CLIENT PAUSE, and MONITOR.
//
// It watches every command the engine runs (Engine.commandObservers) to
// time it, log it when slow, count it, and feed it to MONITOR clients. What
// only a host can do (close a socket, stop the process, write the config
// file) it asks of the host through AdminHost; a host that cannot do a thing
// leaves it out and the command answers with an error saying so.
//
// Platform-neutral: no sockets, files or process here.

import type { Engine } from "../engine.ts";
import type { Session } from "../context.ts";
import type { Client } from "../client.ts";
import type { CommandDef } from "../commands/spec.ts";
import { ErrorReply, SimpleString, type Reply } from "../reply.ts";
import { ConfigRegistry } from "./config-registry.ts";
import { CONFIG_PARAMS, parseOutputBufferLimits, type OutputBufferLimit, type OutputBufferClass } from "./config-params.ts";
import { SlowLog } from "./slowlog.ts";
import { LatencyMonitor, CommandStats } from "./latency.ts";
import { monitorLine } from "./monitor.ts";
import { EVICTION_POLICIES, type EvictionPolicy } from "../engine.ts";

/** What the host knows about a connection (CLIENT LIST, CLIENT KILL, limits). */
export interface ConnectionInfo {
  /** Peer address "ip:port" (CLIENT LIST addr). */
  readonly addr: string;
  /** Local address "ip:port" (laddr). */
  readonly laddr: string;
  readonly fd: number;
  /** Unix ms when the connection was accepted. */
  readonly createdAt: number;
  /** Unix ms of the last read or write. */
  lastInteraction: number;
  /** Whether the peer is on this machine (enable-debug-command local). */
  readonly isLocal: boolean;
  /** Unprocessed input bytes. */
  queryBufferBytes(): number;
  /** Reply bytes written but not yet taken by the peer. */
  outputBufferBytes(): number;
  /** Closes the connection; with afterReply, once the current replies are written. */
  kill(afterReply: boolean): void;
}

/** What SHUTDOWN asked for. */
export interface ShutdownRequest {
  save: "default" | "save" | "nosave";
  now: boolean;
  force: boolean;
}

/** What only the host can do. Each is optional: without it the command says it is not available here. */
export interface AdminHost {
  /** Starts a graceful shutdown; returns an error text if it cannot. */
  shutdown?(request: ShutdownRequest): string | null;
  /** CONFIG REWRITE: returns an error text (without "ERR ") or null. */
  configRewrite?(): string | null;
  /** Unix seconds of the last successful save. */
  lastSave?(): number;
  /** CONFIG RESETSTAT: the host's own counters (connections received...). */
  resetStats?(): void;
  /** A line for the server log (client closed for limits, and so on). */
  log?(level: "notice" | "warning", message: string): void;
}

interface Registered {
  client: Client;
  info: ConnectionInfo;
}

export type PauseMode = "write" | "all";

const PAUSED_WRITE_FLAGS = ["write", "may_replicate"] as const;

/** Arguments MONITOR and SLOWLOG must not show (passwords). */
function redacted(args: readonly Uint8Array[]): readonly Uint8Array[] {
  const name = String.fromCharCode(...args[0]!.subarray(0, 8)).toLowerCase();
  const mark = new TextEncoder().encode("(redacted)");
  if (name === "auth") return args.map((a, i) => (i === 0 ? a : mark));
  if (name === "hello") {
    const out = [...args];
    for (let i = 2; i < out.length; i++) {
      const opt = String.fromCharCode(...out[i]!).toLowerCase();
      if (opt === "auth" && i + 2 < out.length) {
        out[i + 1] = mark;
        out[i + 2] = mark;
        i += 2;
      } else if (opt === "setname") {
        i++;
      }
    }
    return out;
  }
  return args;
}

/** Microseconds since the Unix epoch, for MONITOR's timestamps. */
function unixMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** Below this slow-log threshold every command is logged through the handlers, none natively. */
const NATIVE_SLOWLOG_THRESHOLD_MICROS_MIN = 1000;

export class Admin {
  readonly engine: Engine;
  readonly config: ConfigRegistry;
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  readonly commandStats = new CommandStats();
  host: AdminHost = {};
  private readonly connections = new Map<number, Registered>();
  readonly monitors = new Set<Client>();
  /** notify-keyspace-events as Redis's NOTIFY_* bits, for whoever publishes keyspace events. */
  notifyFlags = 0;
  /** client-output-buffer-limit by class. */
  outputBufferLimits: Record<OutputBufferClass, OutputBufferLimit>;
  /** Unix ms when this engine's admin state was made (LASTSAVE when nothing was ever saved). */
  readonly startedAt = Date.now();
  /** DEBUG SET-ACTIVE-EXPIRE: hosts skip active expiry while this is false. */
  activeExpireEnabled = true;
  /** Counters CONFIG RESETSTAT clears. */
  readonly stats = { rejectedConnections: 0, clientsClosedForOutputLimit: 0 };

  private pause: { mode: PauseMode; until: number; timer: ReturnType<typeof setTimeout> | undefined } | null = null;
  private readonly postponed: Client[] = [];

  constructor(engine: Engine) {
    this.engine = engine;
    this.config = new ConfigRegistry(CONFIG_PARAMS);
    this.outputBufferLimits = parseOutputBufferLimits(this.config.get("client-output-buffer-limit"));
    this.bindEngineSettings();
    engine.commandObservers.push((session, def, args, reply, micros) => this.observe(session, def, args, reply, micros));
    engine.nativeCallObservers.push((name, calls, errors, micros) => {
      const each = Math.round(micros / calls);
      for (let i = 0; i < calls; i++) this.commandStats.record(name, each, i < errors);
    });
  }

  /** Settings that act at once: bound to the engine and to the admin's own parts. */
  private bindEngineSettings(): void {
    const engine = this.engine;
    const c = this.config;
    c.bind("maxmemory", { get: () => String(engine.maxmemory), set: (v) => { engine.maxmemory = Number(v); } });
    c.bind("maxmemory-policy", {
      get: () => engine.maxmemoryPolicy,
      set: (v) => {
        if (!(EVICTION_POLICIES as readonly string[]).includes(v)) return `Trireme does not support the eviction policy '${v}' yet`;
        engine.maxmemoryPolicy = v as EvictionPolicy;
      },
    });
    c.bind("maxmemory-samples", { get: () => String(engine.maxmemorySamples), set: (v) => { engine.maxmemorySamples = Number(v); } });
    c.bind("databases", { get: () => String(engine.databases), set: () => "can't set immutable config" });
    let hllSparse = c.get("hll-sparse-max-bytes");
    c.bind("hll-sparse-max-bytes", {
      get: () => hllSparse,
      set: (v) => {
        hllSparse = v;
        (engine.core.x as unknown as { hll_set_sparse_max_bytes(n: number): void }).hll_set_sparse_max_bytes(Number(v));
      },
    });
    c.bind("slowlog-log-slower-than", {
      get: () => String(this.slowlog.thresholdMicros), set: (v) => { this.slowlog.thresholdMicros = Number(v); },
    });
    c.bind("slowlog-max-len", {
      get: () => String(this.slowlog.maxLength), set: (v) => { this.slowlog.maxLength = Number(v); this.slowlog.trim(); },
    });
    c.bind("latency-monitor-threshold", {
      get: () => String(this.latency.thresholdMs), set: (v) => { this.latency.thresholdMs = Number(v); },
    });
    // The engine publishes the events (runtime/notify.ts); the setting is its.
    c.bind("notify-keyspace-events", {
      get: () => engine.notifyKeyspaceEvents,
      set: (v) => {
        engine.notifyKeyspaceEvents = v;
        this.notifyFlags = engine.notifyFlags;
      },
    });
    c.bind("requirepass", {
      get: () => engine.acl.requirepass,
      set: (v) => { engine.acl.setRequirePass(v); },
    });
    let limits = c.get("client-output-buffer-limit");
    c.bind("client-output-buffer-limit", {
      get: () => limits, set: (v) => { limits = v; this.outputBufferLimits = parseOutputBufferLimits(v); },
    });
  }

  // ---- connections ------------------------------------------------------

  register(client: Client, info: ConnectionInfo): void {
    this.connections.set(client.id, { client, info });
  }

  unregister(client: Client): void {
    this.connections.delete(client.id);
    this.monitors.delete(client);
    const i = this.postponed.indexOf(client);
    if (i >= 0) this.postponed.splice(i, 1);
  }

  connectionOf(client: Client): ConnectionInfo | undefined {
    return this.connections.get(client.id)?.info;
  }

  clientById(id: number): Client | undefined {
    return this.connections.get(id)?.client;
  }

  /** Connected clients in the order they connected. */
  clients(): Client[] {
    return [...this.connections.values()].map((r) => r.client);
  }

  get connectedClients(): number {
    return this.connections.size;
  }

  // ---- CLIENT PAUSE -------------------------------------------------------

  /**
   * Whether commands may run natively in the core, which reports only their
   * counts: not while every command must be logged or timed one by one
   * (a slow-log threshold under a millisecond, the latency monitor on).
   */
  get nativeAllowed(): boolean {
    const slowlog = this.slowlog.thresholdMicros;
    return (slowlog < 0 || slowlog >= NATIVE_SLOWLOG_THRESHOLD_MICROS_MIN) && this.latency.thresholdMs === 0 && this.pause === null;
  }

  /** Whether a CLIENT PAUSE is in force. */
  get clientsPaused(): boolean {
    return this.pause !== null;
  }

  /** Pauses clients until `until` (Unix ms); a later end and the stricter mode win over a pause in force. */
  pauseClients(mode: PauseMode, until: number): void {
    const current = this.pause;
    if (current !== null) {
      clearTimeout(current.timer);
      if (current.mode === "all") mode = "all";
      if (current.until > until) until = current.until;
    }
    const timer = setTimeout(() => this.unpauseClients(), Math.max(0, until - Date.now()));
    this.pause = { mode, until, timer };
  }

  unpauseClients(): void {
    if (this.pause === null) return;
    clearTimeout(this.pause.timer);
    this.pause = null;
    const waiting = this.postponed.splice(0);
    for (const client of waiting) {
      client.resumePostponed();
      if (this.pause !== null) break;
    }
  }

  /** Whether writes are paused now (active expiry and eviction wait too, as in Redis). */
  get writesPaused(): boolean {
    return this.pause !== null;
  }

  /** Whether a command from this client must wait for the pause to end. */
  mustPostpone(def: CommandDef, client: Client): boolean {
    const pause = this.pause;
    if (pause === null) return false;
    if (pause.mode === "all") return true;
    const writes = (d: CommandDef) => PAUSED_WRITE_FLAGS.some((f) => d.flags.includes(f));
    if (writes(def)) return true;
    return def.name === "exec" && client.multi !== null && client.multi.queue.some((q) => writes(q.def));
  }

  postpone(client: Client): void {
    this.postponed.push(client);
  }

  // ---- every command --------------------------------------------------------

  private observe(session: Session, def: CommandDef, args: readonly Uint8Array[], reply: Reply, micros: number): void {
    const client = session.client;
    this.commandStats.record(def.name, micros, reply instanceof ErrorReply);
    const now = this.engine.clock();
    this.latency.addSampleIfNeeded(def.flags.includes("fast") ? "fast-command" : "command", Math.floor(micros / 1000), now);
    const info = client === undefined ? undefined : this.connectionOf(client);
    if (!def.flags.includes("skip_slowlog") && this.slowlog.thresholdMicros >= 0 && micros >= this.slowlog.thresholdMicros) {
      this.slowlog.record(micros, redacted(args), info?.addr ?? "", client?.name ?? "", now);
    }
    if (this.monitors.size > 0 && !def.flags.includes("skip_monitor") && !def.flags.includes("admin")) {
      this.feedMonitors(session.db, info?.addr ?? "", redacted(args), client);
    }
  }

  /** Sends a command to every MONITOR client, in Redis's line format. */
  feedMonitors(db: number, addr: string, args: readonly Uint8Array[], from?: Client): void {
    if (this.monitors.size === 0) return;
    const line = new SimpleString(monitorLine(unixMicros(), db, addr, args));
    // A monitor sees its own command after that command's reply, as in Redis.
    for (const m of this.monitors) {
      if (m === from) m.pushAfterReply(line);
      else m.push(line);
    }
  }

  /** CONFIG RESETSTAT. */
  resetStats(): void {
    this.commandStats.reset();
    this.engine.stats.commands = 0;
    this.engine.stats.expiredKeys = 0;
    this.engine.stats.evictedKeys = 0;
    this.stats.rejectedConnections = 0;
    this.stats.clientsClosedForOutputLimit = 0;
    this.host.resetStats?.();
  }

  log(level: "notice" | "warning", message: string): void {
    this.host.log?.(level, message);
  }
}

const admins = new WeakMap<Engine, Admin>();

/** The admin state of an engine, made on first use. */
export function adminOf(engine: Engine): Admin {
  let admin = admins.get(engine);
  if (admin === undefined) {
    admin = new Admin(engine);
    admins.set(engine, admin);
  }
  return admin;
}
