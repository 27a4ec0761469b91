// Server settings, named like redis.conf directives, from (lowest to highest
// precedence) defaults, a config file, TRIREME_* environment variables and
// command-line flags (`--port 6380`), the way redis-server takes them.
import { readFileSync } from "node:fs";
import { EVICTION_POLICIES, type EvictionPolicy } from "../runtime/engine.ts";
import { NOTIFY_CLASS_CHARS, parseNotifyFlags } from "../runtime/notify.ts";
import { CONFIG_PARAMS } from "../runtime/admin/config-params.ts";

export interface ServerConfig {
  port: number;
  bind: string[];
  databases: number;
  maxmemory: number;
  maxmemoryPolicy: EvictionPolicy;
  maxclients: number;
  protoMaxBulkLen: number;
  clientQueryBufferLimit: number;
  dir: string;
  /** The Wasm core to run (a .wasm built by npm run build); undefined: build/trireme-core.wasm. */
  coreWasm: string | undefined;
  /** Port of the HTTP API (Upstash-compatible REST); 0 disables it. */
  httpPort: number;
  /** Bearer token the HTTP API requires; unset means none (allowed only on loopback). */
  httpToken: string | undefined;
  /** The default user's password ("" = none: the default user is `nopass`). */
  requirepass: string;
  /** Path of the ACL file (ACL LOAD/SAVE, loaded at start); "" = none. */
  aclfile: string;
  /** `user <name> <rules...>` lines of the config file, each as [name, ...rules]. */
  users: string[][];
  /** Refuse non-loopback clients while the default user has no password. */
  protectedMode: boolean;
  /** Entries kept by ACL LOG. */
  acllogMaxLen: number;
  /** Keyspace events to publish, as Redis's notify-keyspace-events ("KEA"); "" publishes none. */
  notifyKeyspaceEvents: string;
  /** Port of RESP over TLS; 0 (default) serves no TLS. */
  tlsPort: number;
  /** PEM files: the server's certificate chain, its private key, and the CA that signs client certificates. */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  tlsCaCertFile: string | undefined;
  /** Whether TLS clients must present a certificate signed by the CA: yes (Redis's default), no, optional. */
  tlsAuthClients: TlsAuthClients;
  /** The config file the server was started with (CONFIG REWRITE writes it), if any. */
  configFile?: string;
  /**
   * Other redis.conf directives given at start-up (timeout, slowlog-max-len,
   * client-output-buffer-limit...): applied through the CONFIG registry
   * (runtime/admin/config-params.ts), which validates them.
   */
  settings: Array<[string, string]>;
  /** How writes are made durable: quorum (2 of 3 log stores), local (one store), none (memory only). */
  durability: Durability;
  /** URLs of the log stores; none: start local ones under `dir` (docs/durability.md). */
  logStores: string[];
  /** Bearer token of the log stores (or read from logTokenFile). */
  logToken: string | undefined;
  logTokenFile: string | undefined;
  /** How long a write waits for its quorum before writes fail with NOTDURABLE (ms). */
  durabilityTimeout: number;
  /**
   * primary (default); standby: follows the log and takes over when the
   * primary's lease lapses; replica: follows the log and serves reads only.
   */
  role: ServerRole;
  /** The primary's lease (ms): how long the stores wait for a silent primary before promising its successor. */
  leaseMs: number;
}

export type ServerRole = "primary" | "standby" | "replica";

export type Durability = "quorum" | "local" | "none";

export type TlsAuthClients = "yes" | "no" | "optional";

export const DEFAULT_CONFIG: ServerConfig = {
  port: 6379,
  bind: ["127.0.0.1", "::1"],
  databases: 16,
  maxmemory: 0,
  maxmemoryPolicy: "noeviction",
  maxclients: 10000,
  protoMaxBulkLen: 512 * 1024 * 1024,
  clientQueryBufferLimit: 1024 * 1024 * 1024,
  dir: "./data",
  coreWasm: undefined,
  httpPort: 7379,
  httpToken: undefined,
  requirepass: "",
  aclfile: "",
  users: [],
  protectedMode: true,
  acllogMaxLen: 128,
  notifyKeyspaceEvents: "",
  tlsPort: 0,
  tlsCertFile: undefined,
  tlsKeyFile: undefined,
  tlsCaCertFile: undefined,
  tlsAuthClients: "yes",
  settings: [],
  durability: "quorum",
  logStores: [],
  logToken: undefined,
  logTokenFile: undefined,
  durabilityTimeout: 5000,
  role: "primary",
  leaseMs: 2000,
};

export class ConfigError extends Error {}

/** Redis's memory units: 1k = 1000, 1kb = 1024, likewise m/mb, g/gb. */
export function parseMemory(text: string): number {
  const m = /^(\d+)([kmg]b?)?$/i.exec(text.trim());
  if (!m) throw new ConfigError(`invalid memory value '${text}'`);
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const factor: Record<string, number> = { "": 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return n * factor[unit]!;
}

function parseInteger(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`'${name}' must be an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

/** Applies one directive (name without dashes, lower case) to the config. */
export function applyDirective(config: ServerConfig, name: string, values: string[]): void {
  const value = values[0] ?? "";
  switch (name) {
    case "port": config.port = parseInteger(name, value, 0, 65535); break;
    case "bind": config.bind = values.filter((v) => v.length > 0); break;
    case "databases": config.databases = parseInteger(name, value, 1, 1_000_000); break;
    case "maxmemory": config.maxmemory = parseMemory(value); break;
    case "maxmemory-policy":
      if (!(EVICTION_POLICIES as readonly string[]).includes(value)) {
        throw new ConfigError(`'maxmemory-policy' must be one of ${EVICTION_POLICIES.join(", ")}`);
      }
      config.maxmemoryPolicy = value as EvictionPolicy;
      break;
    case "maxclients": config.maxclients = parseInteger(name, value, 1, 1_000_000); break;
    case "proto-max-bulk-len": config.protoMaxBulkLen = parseMemory(value); break;
    case "client-query-buffer-limit": config.clientQueryBufferLimit = parseMemory(value); break;
    case "dir": config.dir = value; break;
    case "core-wasm": config.coreWasm = value === "" ? undefined : value; break;
    case "http-port": config.httpPort = parseInteger(name, value, 0, 65535); break;
    case "http-token": config.httpToken = value === "" ? undefined : value; break;
    case "requirepass": config.requirepass = value; break;
    case "aclfile": config.aclfile = value; break;
    case "user":
      if (values.length === 0) throw new ConfigError("'user' needs a user name and rules");
      config.users = [...config.users, values];
      break;
    case "protected-mode":
      if (value !== "yes" && value !== "no") throw new ConfigError(`'protected-mode' must be yes or no, got '${value}'`);
      config.protectedMode = value === "yes";
      break;
    case "acllog-max-len": config.acllogMaxLen = parseInteger(name, value, 0, 2147483647); break;
    case "notify-keyspace-events":
      if (parseNotifyFlags(value) === null) {
        throw new ConfigError(`'notify-keyspace-events' takes event class characters from '${NOTIFY_CLASS_CHARS}', got '${value}'`);
      }
      config.notifyKeyspaceEvents = value;
      break;
    case "tls-port": config.tlsPort = parseInteger(name, value, 0, 65535); break;
    case "tls-cert-file": config.tlsCertFile = value === "" ? undefined : value; break;
    case "tls-key-file": config.tlsKeyFile = value === "" ? undefined : value; break;
    case "tls-ca-cert-file": config.tlsCaCertFile = value === "" ? undefined : value; break;
    case "tls-auth-clients": {
      const v = value.toLowerCase();
      if (v !== "yes" && v !== "no" && v !== "optional") throw new ConfigError(`'tls-auth-clients' must be yes, no or optional, got '${value}'`);
      config.tlsAuthClients = v;
      break;
    }
    case "durability":
      if (value !== "quorum" && value !== "local" && value !== "none") throw new ConfigError(`'durability' must be quorum, local or none, got '${value}'`);
      config.durability = value;
      break;
    case "log-stores":
      config.logStores = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v.length > 0);
      for (const url of config.logStores) if (!/^https?:\/\/[^/]+\/?$/.test(url)) throw new ConfigError(`'log-stores' takes http(s)://host:port URLs, got '${url}'`);
      break;
    case "log-token": config.logToken = value === "" ? undefined : value; break;
    case "log-token-file": config.logTokenFile = value === "" ? undefined : value; break;
    case "durability-timeout": config.durabilityTimeout = parseInteger(name, value, 1, 3_600_000); break;
    case "standby":
    case "replica": {
      const on = value === "" || value === "yes";
      if (!on && value !== "no") throw new ConfigError(`'${name}' takes yes or no (or nothing), got '${value}'`);
      if (on && config.role !== "primary" && config.role !== name) throw new ConfigError("a server is either --standby or --replica, not both");
      config.role = on ? name : (config.role === name ? "primary" : config.role);
      break;
    }
    case "lease-ms": config.leaseMs = parseInteger(name, value, 10, 60_000); break;
    default: {
      const known = CONFIG_PARAMS.some((p) => p.name === name || (p.aliases ?? []).includes(name));
      if (!known) throw new ConfigError(`unknown setting '${name}'`);
      config.settings.push([name, values.join(" ")]);
    }
  }
}

/** Reads a redis.conf-style file: one directive per line, '#' comments. */
export function parseConfigFile(text: string, config: ServerConfig): void {
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [name, ...values] = line.split(/\s+/);
    applyDirective(config, name!.toLowerCase(), values.map((v) => v.replace(/^"(.*)"$/, "$1")));
  }
}

/**
 * Builds the config from argv (after the subcommand) and the environment:
 * an optional config file path first, then `--name value...` flags.
 */
export function loadConfig(argv: string[], env: Record<string, string | undefined>): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG, bind: [...DEFAULT_CONFIG.bind], users: [], settings: [], logStores: [] };
  let i = 0;
  if (argv[0] !== undefined && !argv[0].startsWith("--")) {
    parseConfigFile(readFileSync(argv[0], "utf8"), config);
    config.configFile = argv[0];
    i = 1;
  }
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith("TRIREME_") || value === undefined) continue;
    const name = key.slice("TRIREME_".length).toLowerCase().replace(/_/g, "-");
    applyDirective(config, name, value.split(/\s+/));
  }
  while (i < argv.length) {
    const flag = argv[i]!;
    if (!flag.startsWith("--")) throw new ConfigError(`expected an option, got '${flag}'`);
    const values: string[] = [];
    i++;
    while (i < argv.length && !argv[i]!.startsWith("--")) values.push(argv[i++]!);
    applyDirective(config, flag.slice(2).toLowerCase(), values);
  }
  return config;
}
