// The parameters Trireme knows, with Redis 7.0's names, types, bounds,
// defaults and parsing rules (config.c). Which of them change behaviour is
// decided by who binds them (see config-registry.ts); docs/ADMIN.md lists
// the ones that are accepted and reported but have no effect yet.

import { parseNotifyFlags, formatNotifyFlags } from "../notify.ts";
import type { ConfigSpec } from "./config-registry.ts";
import { parseMemoryValue } from "./config-registry.ts";

const INT_MAX = 2147483647n;
const LONG_MAX = 9223372036854775807n;
const UINT_MAX = 4294967295n;

const bool = (name: string, dflt: "yes" | "no", extra: Partial<ConfigSpec> = {}): ConfigSpec =>
  ({ name, kind: "bool", default: dflt, ...extra });
const int = (name: string, dflt: number, min: bigint, max: bigint, extra: Partial<ConfigSpec> = {}): ConfigSpec =>
  ({ name, kind: "int", default: String(dflt), min, max, ...extra });
const memory = (name: string, dflt: number, min: bigint, max: bigint, extra: Partial<ConfigSpec> = {}): ConfigSpec =>
  ({ name, kind: "memory", default: String(dflt), min, max, ...extra });
const oneOf = (name: string, dflt: string, values: readonly string[], extra: Partial<ConfigSpec> = {}): ConfigSpec =>
  ({ name, kind: "enum", default: dflt, values, ...extra });
const str = (name: string, dflt: string, extra: Partial<ConfigSpec> = {}): ConfigSpec =>
  ({ name, kind: "string", default: dflt, ...extra });

// ---- client-output-buffer-limit --------------------------------------------

export type OutputBufferClass = "normal" | "slave" | "pubsub";
export interface OutputBufferLimit {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}
const BUFFER_CLASSES: readonly OutputBufferClass[] = ["normal", "slave", "pubsub"];

/** Parses the canonical text (all three classes) into limits by class. */
export function parseOutputBufferLimits(text: string): Record<OutputBufferClass, OutputBufferLimit> {
  const parts = text.split(" ");
  const out = {} as Record<OutputBufferClass, OutputBufferLimit>;
  for (let i = 0; i + 3 < parts.length; i += 4) {
    out[parts[i] as OutputBufferClass] = {
      hardBytes: Number(parts[i + 1]), softBytes: Number(parts[i + 2]), softSeconds: Number(parts[i + 3]),
    };
  }
  return out;
}

function parseOutputBufferSetting(text: string, current: string): { value: string } | { error: string } {
  const args = text.split(" ").filter((a) => a.length > 0);
  if (args.length % 4 !== 0) return { error: "Wrong number of arguments in buffer limit configuration." };
  const limits = parseOutputBufferLimits(current);
  for (let j = 0; j < args.length; j += 4) {
    let name = args[j]!.toLowerCase();
    if (name === "replica") name = "slave";
    if (!(BUFFER_CLASSES as readonly string[]).includes(name)) {
      return { error: "Invalid client class specified in buffer limit configuration." };
    }
    const hard = parseMemoryValue(args[j + 1]!);
    const soft = parseMemoryValue(args[j + 2]!);
    const seconds = /^-?[0-9]+$/.test(args[j + 3]!) ? Number(args[j + 3]) : -1;
    if (hard === null || soft === null || seconds < 0) {
      return { error: "Error in hard, soft or soft_seconds setting in buffer limit configuration." };
    }
    limits[name as OutputBufferClass] = { hardBytes: Number(hard), softBytes: Number(soft), softSeconds: seconds };
  }
  return { value: formatOutputBufferLimits(limits) };
}

function formatOutputBufferLimits(limits: Record<OutputBufferClass, OutputBufferLimit>): string {
  return BUFFER_CLASSES.map((c) => `${c} ${limits[c].hardBytes} ${limits[c].softBytes} ${limits[c].softSeconds}`).join(" ");
}

// ---- save ------------------------------------------------------------------

function parseSave(text: string): { value: string } | { error: string } {
  const args = text.split(" ").filter((a) => a.length > 0);
  if (args.length % 2 !== 0) return { error: "Invalid save parameters" };
  const out: string[] = [];
  for (const a of args) {
    if (!/^[+-]?[0-9]+$/.test(a)) return { error: "Invalid save parameters" };
    out.push(String(Number(a)));
  }
  return { value: out.join(" ") };
}

function rewriteSave(value: string): string[] {
  if (value === "") return ['save ""'];
  const parts = value.split(" ");
  const lines: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) lines.push(`save ${parts[i]} ${parts[i + 1]}`);
  return lines;
}

// ---- the table ---------------------------------------------------------------

export const EVICTION_POLICY_VALUES = [
  "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
] as const;

export const DEFAULT_OUTPUT_BUFFER_LIMITS = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

export const CONFIG_PARAMS: readonly ConfigSpec[] = [
  // Network and clients (the host binds these).
  // Redis can move its listeners at run time; the host's binding says whether it can.
  int("port", 6379, 0n, 65535n),
  str("bind", "127.0.0.1 ::1", { rewrite: (value) => [`bind ${value}`] }),
  bool("protected-mode", "yes"),
  int("maxclients", 10000, 1n, UINT_MAX),
  int("timeout", 0, 0n, INT_MAX),
  int("tcp-keepalive", 300, 0n, INT_MAX),
  int("tcp-backlog", 511, 0n, INT_MAX, { immutable: true }),
  memory("proto-max-bulk-len", 512 * 1024 * 1024, 1024n * 1024n, LONG_MAX),
  memory("client-query-buffer-limit", 1024 * 1024 * 1024, 1024n * 1024n, LONG_MAX),
  {
    name: "client-output-buffer-limit", kind: "special", default: DEFAULT_OUTPUT_BUFFER_LIMITS,
    parse: parseOutputBufferSetting,
    rewrite: (value) => {
      const parts = value.split(" ");
      const lines: string[] = [];
      for (let i = 0; i + 3 < parts.length; i += 4) {
        lines.push(`client-output-buffer-limit ${parts[i]} ${parts[i + 1]} ${parts[i + 2]} ${parts[i + 3]}`);
      }
      return lines;
    },
  },
  str("requirepass", ""),
  str("aclfile", "", { immutable: true }),
  int("acllog-max-len", 128, 0n, LONG_MAX),
  // Memory and eviction (the engine binds these).
  memory("maxmemory", 0, 0n, LONG_MAX),
  oneOf("maxmemory-policy", "noeviction", EVICTION_POLICY_VALUES),
  int("maxmemory-samples", 5, 1n, INT_MAX),
  int("maxmemory-eviction-tenacity", 10, 0n, 100n),
  memory("maxmemory-clients", 0, 0n, LONG_MAX),
  int("databases", 16, 1n, INT_MAX, { immutable: true }),
  int("active-expire-effort", 1, 1n, 10n),
  bool("activerehashing", "yes"),
  // Diagnostics.
  int("slowlog-log-slower-than", 10000, -1n, LONG_MAX),
  int("slowlog-max-len", 128, 0n, LONG_MAX),
  int("latency-monitor-threshold", 0, 0n, LONG_MAX),
  bool("latency-tracking", "yes"),
  oneOf("enable-debug-command", "no", ["no", "yes", "local"], { immutable: true }),
  oneOf("enable-protected-configs", "no", ["no", "yes", "local"], { immutable: true }),
  oneOf("enable-module-command", "no", ["no", "yes", "local"], { immutable: true }),
  {
    name: "notify-keyspace-events", kind: "special", default: "",
    parse: (text) => {
      const flags = parseNotifyFlags(text);
      if (flags === null) return { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
      return { value: formatNotifyFlags(flags) };
    },
  },
  {
    name: "hz", kind: "special", default: "10",
    parse: (text) => {
      if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return { error: "argument couldn't be parsed into an integer" };
      const n = Number(text);
      if (n < 0 || n > Number(INT_MAX)) return { error: `argument must be between 0 and ${INT_MAX} inclusive` };
      // Redis clamps hz to 1..500 after setting it.
      return { value: String(Math.min(500, Math.max(1, n))) };
    },
  },
  bool("dynamic-hz", "yes"),
  oneOf("loglevel", "notice", ["debug", "verbose", "notice", "warning"]),
  str("logfile", "", { immutable: true }),
  bool("daemonize", "no", { immutable: true }),
  str("pidfile", "", { immutable: true }),
  int("io-threads", 1, 1n, 128n, { immutable: true }),
  int("shutdown-timeout", 10, 0n, INT_MAX),
  int("busy-reply-threshold", 5000, 0n, LONG_MAX, { aliases: ["lua-time-limit"] }),
  // Persistence: Trireme's durability is its log, not RDB/AOF; `save` and snapshot-log-bytes
  // schedule snapshots on a durable server (runtime/log/persistence.ts), the rest are reported only.
  { name: "save", kind: "special", default: "", parse: parseSave, rewrite: rewriteSave },
  // Trireme: a snapshot starts once the log since the last one holds this many bytes and at
  // least the last snapshot's size, which keeps the log (and recovery) bounded; 0 turns it off.
  memory("snapshot-log-bytes", 64 * 1024 * 1024, 0n, LONG_MAX),
  str("dir", "./data", { protected: true }),
  str("dbfilename", "dump.rdb", { protected: true }),
  bool("appendonly", "no"),
  oneOf("appendfsync", "everysec", ["always", "everysec", "no"]),
  str("appendfilename", "appendonly.aof", { immutable: true }),
  str("appenddirname", "appendonlydir", { immutable: true }),
  bool("stop-writes-on-bgsave-error", "yes"),
  bool("rdbcompression", "yes"),
  bool("rdbchecksum", "yes"),
  // Encodings (Redis's thresholds; Trireme's encodings follow their defaults).
  int("hash-max-listpack-entries", 512, 0n, LONG_MAX, { aliases: ["hash-max-ziplist-entries"] }),
  int("hash-max-listpack-value", 64, 0n, LONG_MAX, { aliases: ["hash-max-ziplist-value"] }),
  int("list-max-listpack-size", -2, -5n, INT_MAX, { aliases: ["list-max-ziplist-size"] }),
  int("list-compress-depth", 0, 0n, INT_MAX),
  int("set-max-intset-entries", 512, 0n, LONG_MAX),
  int("zset-max-listpack-entries", 128, 0n, LONG_MAX, { aliases: ["zset-max-ziplist-entries"] }),
  int("zset-max-listpack-value", 64, 0n, LONG_MAX, { aliases: ["zset-max-ziplist-value"] }),
  memory("hll-sparse-max-bytes", 3000, 0n, LONG_MAX),
  // Replication and cluster: Trireme is a standalone primary.
  bool("cluster-enabled", "no", { immutable: true }),
  bool("replica-read-only", "yes", { aliases: ["slave-read-only"] }),
  bool("lazyfree-lazy-eviction", "no"),
  bool("lazyfree-lazy-expire", "no"),
  bool("lazyfree-lazy-server-del", "no"),
  bool("lazyfree-lazy-user-del", "no"),
  bool("lazyfree-lazy-user-flush", "no"),
];
