#!/usr/bin/env node
// trireme — the command line.
//
//   trireme [server] [config-file] [--port 6379] [--bind 127.0.0.1 ::1] ...
//   trireme logstore --region NAME --data DIR --port P --token T
//
// Settings use redis.conf's directive names; see `trireme --help`.
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { fileURLToPath } from "node:url";
import { Engine } from "../runtime/engine.ts";
import { RespServer } from "./resp-server.ts";
import { loadConfig, ConfigError, DEFAULT_CONFIG } from "./config.ts";
import { startHttpApi } from "./http-server.ts";
import { nodeAclFiles } from "./acl-file.ts";
import { logStoreMain } from "./logstore/cli.ts";
import { installAdminHost } from "./admin-host.ts";
import { startDurablePrimary, type DurablePrimary } from "./durability.ts";
import { startFollowing, type RunningFollower } from "./replica.ts";

const HELP = `Usage: trireme [server] [config-file] [options]
       trireme logstore --region NAME --data DIR --port P --token T   (see trireme logstore --help)

Runs a Redis-compatible server. Options take redis.conf's directive names; the
same settings can come from a config file or from TRIREME_<NAME> variables
(TRIREME_PORT=7000, TRIREME_MAXMEMORY_POLICY=allkeys-lru).

  --port N                      TCP port (default ${DEFAULT_CONFIG.port})
  --bind ADDR [ADDR...]         addresses to listen on (default ${DEFAULT_CONFIG.bind.join(" ")})
  --databases N                 number of databases (default ${DEFAULT_CONFIG.databases})
  --maxmemory BYTES             memory limit, e.g. 100mb (default 0 = none)
  --maxmemory-policy POLICY     noeviction, allkeys-lru, allkeys-random,
                                volatile-lru, volatile-random, volatile-ttl
  --maxclients N                most connected clients (default ${DEFAULT_CONFIG.maxclients})
  --proto-max-bulk-len BYTES    largest bulk string (default 512mb)
  --client-query-buffer-limit BYTES   unprocessed input held per client (default 1gb)
  --dir PATH                    data folder (default ${DEFAULT_CONFIG.dir})
  --core-wasm FILE              the Wasm core to run (default: build/trireme-core.wasm); a
                                snapshot another build took is rebuilt from the core it carries
  --timeout SECONDS             close clients idle this long (default 0 = never)
  --client-output-buffer-limit CLASS HARD SOFT SECONDS
                                reply backlog limits for normal and pubsub clients
                                (default: pubsub 32mb 8mb 60)
  --slowlog-log-slower-than US  log commands slower than this many microseconds (default 10000)
  --slowlog-max-len N           entries the slow log keeps (default 128)
  --latency-monitor-threshold MS  record latency spikes of at least this (default 0 = off)
  --enable-debug-command no|yes|local   allow DEBUG (default no, as in Redis)
  Any other setting CONFIG GET lists can be given the same way (--hz 20, --save "").
  --http-port N                 HTTP API port, Upstash REST compatible (default ${DEFAULT_CONFIG.httpPort}; 0 = off)
  --http-token TOKEN            bearer token the HTTP API requires (required when bound beyond loopback)
  --requirepass PASSWORD        password of the default user (AUTH PASSWORD); default none
  --aclfile PATH                ACL file of users (loaded at start; ACL LOAD, ACL SAVE)
  --user NAME RULES...          a user, as ACL SETUSER takes it (config file: user alice on >pw ~* +@all)
  --protected-mode yes|no       refuse non-loopback clients while the default user has
                                no password (default yes)
  --acllog-max-len N            entries kept by ACL LOG (default ${DEFAULT_CONFIG.acllogMaxLen})
  --notify-keyspace-events CLASSES   keyspace notifications to publish, e.g. KEA (default "" = none)
  --tls-port N                  port for RESP over TLS (default 0 = no TLS); --port 0 turns plain TCP off
  --tls-cert-file FILE          the server's certificate (PEM)
  --tls-key-file FILE           the server's private key (PEM)
  --tls-ca-cert-file FILE       CA certificate(s) (PEM) that client certificates must chain to
  --tls-auth-clients yes|no|optional   require client certificates (default yes)
  --durability quorum|local|none   quorum (default): a write is acknowledged once 2 of 3
                                log stores have it on disk; local: one store; none: memory
                                only, as a cache (docs/durability.md)
  --log-stores URL,URL,URL      the log stores (trireme logstore); without it, quorum starts
                                three local stores under --dir (local-a, -b, -c) and local one
  --log-token TOKEN             the log stores' bearer token (or --log-token-file FILE)
  --durability-timeout MS       how long a write waits for its quorum before writes fail
                                with -NOTDURABLE (default ${DEFAULT_CONFIG.durabilityTimeout})
  --lease-ms MS                 the primary's lease: it answers reads only while a quorum of
                                stores has heard from it within this; a standby takes over
                                once it has been silent this long (default ${DEFAULT_CONFIG.leaseMs})
  --standby                     follow the primary's log (--log-stores) as a read replica and
                                take over as primary when its lease lapses
  --replica                     follow the primary's log (--log-stores) and serve reads of
                                committed data; writes get -READONLY
  --help                        this text
`;

/**
 * Lets V8's old generation grow to four times what a full collection leaves
 * live, instead of its own factor for small heaps (often under 2). The
 * server's JS heap is small (the data lives in the core's Wasm memory), and
 * under a durable write load it churns through short-lived objects and
 * buffers: with the default factor V8 ran a full collection every 150-350 ms
 * at -P 16, each pausing every client 2-9 ms, and p99 latency doubled
 * (docs/BENCHMARKS.md). This costs at most a few tens of MB of garbage held
 * longer. The flag is read at each collection, so setting it now works.
 */
function growHeapForLoad(): void {
  setFlagsFromString("--heap-growing-percent=300");
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "logstore") return logStoreMain(argv.slice(1), log);
  if (argv[0] === "server") argv = argv.slice(1);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig(argv, process.env);
  growHeapForLoad();
  const wasm = readFileSync(config.coreWasm ?? fileURLToPath(new URL("../build/trireme-core.wasm", import.meta.url)));
  const engineOptions = {
    databases: config.databases,
    maxmemory: config.maxmemory,
    maxmemoryPolicy: config.maxmemoryPolicy,
    notifyKeyspaceEvents: config.notifyKeyspaceEvents,
  };
  let durable: DurablePrimary | null = null;
  let following: RunningFollower | null = null;
  if (config.role !== "primary") {
    try {
      following = await startFollowing(config, wasm, engineOptions, log, (message) => {
        process.stderr.write(`trireme: ${message}\n`);
        process.exit(1);
      });
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      process.stderr.write(`trireme: cannot follow the log: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
    logRole = "S";
  } else if (config.durability !== "none") {
    try {
      durable = await startDurablePrimary(config, wasm, engineOptions, log);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      process.stderr.write(`trireme: cannot start durably: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
  }
  const engine = durable?.engine ?? following?.engine ?? await Engine.create(wasm, engineOptions);
  engine.acl.files = nodeAclFiles;
  engine.acl.aclFile = config.aclfile;
  engine.acl.logMaxLength = config.acllogMaxLen;
  engine.acl.setRequirePass(config.requirepass);
  const aclError = engine.acl.loadAtStartup(config.users);
  if (aclError !== null) throw new ConfigError(aclError);
  const server = new RespServer(engine, config, durable === null ? undefined : { gate: durable.gate, persistence: durable.persistence },
    following?.replication);
  installAdminHost(server, config, {
    log: (level, message) => log(message, level === "warning" ? "#" : "*"),
    // SHUTDOWN: the log stores this server started go down with it.
    exit: (code) => { void Promise.resolve(durable?.close() ?? following?.close()).finally(() => process.exit(code)); },
  });
  durable?.startSnapshotSchedule({
    save: () => server.admin.config.get("save"),
    logBytes: () => server.admin.config.number("snapshot-log-bytes"),
  });
  // Signals are handled before the port opens: a client (or a test) may send
  // SIGTERM as soon as it can connect, and that must be a graceful stop.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`Received ${signal} scheduling shutdown...`, "#");
    server.shutdown().then(() => durable?.close() ?? following?.close()).then(() => {
      log("Trireme is now ready to exit, bye bye...", "#");
      process.exit(0);
    }, () => process.exit(1));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  const addresses = await server.listen();
  const startHttp = async (durability: Parameters<typeof startHttpApi>[2]) => {
    const httpAddresses = await startHttpApi(engine, config, durability);
    log(`HTTP API (Upstash REST compatible) on ${httpAddresses.join(", ")}${config.httpToken === undefined ? " without a token" : " with a bearer token"}` +
      (following === null ? "" : "; writes get READONLY while following the log"));
  };
  // A follower's HTTP API serves reads of the committed log; a standby's takes writes once promoted.
  let promotedGate: DurablePrimary["gate"] | undefined;
  if (config.httpPort !== 0) {
    await startHttp(following === null
      ? (durable === null ? {} : { gate: durable.gate })
      : { gate: () => promotedGate, readOnly: () => promotedGate === undefined });
  }
  // Only once every port listens: whoever waits for this line may use any of them at once.
  log(`Trireme ${packageVersion()} ready: RESP on ${addresses.join(", ")}`);
  if (following !== null) {
    log(following.banner);
    void following.promoted?.then((promoted) => {
      server.promote(promoted);
      promotedGate = promoted.gate;
      logRole = "M";
      log(`standby: now the primary (epoch ${promoted.replicator.epoch}); INFO replication says role:master`);
    }, (error: unknown) => {
      if (stopping) return;
      process.stderr.write(`trireme: the standby could not take over: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
    return;
  }
  log(durable?.banner ?? "durability: none — data lives in memory only and is lost when the server stops (--durability quorum keeps it)");
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8")) as { version: string };
  return pkg.version;
}

/** A log line in Redis's format: pid:role timestamp level message ('*' notice, '#' warning). */
/** The role letter of log lines, as Redis writes it: M a primary, S a replica or standby. */
let logRole: "M" | "S" = "M";

function log(message: string, level: "*" | "#" = "*"): void {
  const ts = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
  process.stdout.write(`${process.pid}:${logRole} ${ts} ${level} ${message}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`trireme: ${error.message}\n(see trireme --help)\n`);
    process.exit(2);
  }
  throw error;
});
