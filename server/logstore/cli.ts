// `trireme logstore`: runs one log store in this process.
//
//   trireme logstore --region local-a --data ./data/logstore-a --port 7101 --token T

import { readFileSync } from "node:fs";
import { ConfigError, parseMemory } from "../config.ts";
import { startLogStore } from "./server.ts";

export const LOGSTORE_HELP = `Usage: trireme logstore --region NAME --data DIR --port P (--token T | --token-file F) [options]

Runs one log store: it keeps the durable log (append-only segment files,
CRC32C-checked, fsync'd before each acknowledgement) and snapshots of one
Trireme primary, and serves them over HTTP and WebSocket (docs/durability.md).

  --region NAME          the store's name, reported in its status (required)
  --data DIR             data folder, created if missing (required)
  --port P               TCP port (required; 0 picks a free one)
  --token T              bearer token every request must carry
  --token-file F         read the token from a file instead (keeps it out of ps)
  --bind ADDR            address to listen on (default 127.0.0.1)
  --segment-bytes SIZE   roll segment files at this size, e.g. 64mb (default 64mb)
  --help                 this text
`;

export interface LogStoreCliOptions {
  region: string;
  dir: string;
  port: number;
  token: string;
  bind: string;
  segmentBytes: number;
}

export function parseLogStoreArgs(argv: string[]): LogStoreCliOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!flag.startsWith("--")) throw new ConfigError(`expected an option, got '${flag}'`);
    const name = flag.slice(2);
    if (!["region", "data", "port", "token", "token-file", "bind", "segment-bytes"].includes(name)) {
      throw new ConfigError(`unknown logstore option '${flag}'`);
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw new ConfigError(`'${flag}' needs a value`);
    values.set(name, value);
    i++;
  }
  const required = (name: string): string => {
    const v = values.get(name);
    if (v === undefined || v === "") throw new ConfigError(`logstore needs --${name}`);
    return v;
  };
  const portText = required("port");
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0..65535, got '${portText}'`);
  let token = values.get("token");
  const tokenFile = values.get("token-file");
  if (tokenFile !== undefined) token = readFileSync(tokenFile, "utf8").trim();
  if (token === undefined || token === "") throw new ConfigError("logstore needs --token or --token-file (every request is authenticated)");
  const segmentBytes = values.has("segment-bytes") ? parseMemory(values.get("segment-bytes")!) : 64 * 1024 * 1024;
  if (segmentBytes < 4096) throw new ConfigError("--segment-bytes must be at least 4096");
  return {
    region: required("region"),
    dir: required("data"),
    port,
    token,
    bind: values.get("bind") ?? "127.0.0.1",
    segmentBytes,
  };
}

export async function logStoreMain(argv: string[], log: (message: string) => void): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(LOGSTORE_HELP);
    return;
  }
  const options = parseLogStoreArgs(argv);
  const store = await startLogStore({
    region: options.region,
    dir: options.dir,
    port: options.port,
    host: options.bind,
    token: options.token,
    segmentBytes: options.segmentBytes,
    onFatal: (error) => {
      log(`FATAL: an fsync failed (${String(error)}); exiting so that recovery runs on restart`);
      process.exit(1);
    },
  });
  for (const note of store.backend.recoveryNotes) log(`recovery: ${note}`);
  const recovery = store.backend.recovery;
  if (recovery !== null) {
    log(`recovery: cut ${recovery.bytesCut} bytes of torn or corrupt tail from ${recovery.segment} at offset ${recovery.validEndOffset} ` +
      `(last valid record ${recovery.lastValidLsn}; ${recovery.reason})`);
  }
  const status = await store.backend.status();
  log(`log store ${options.region} ready on ${store.url}: records ${status.firstLsn}..${status.lastLsn} ` +
    `(last epoch ${status.lastEpoch}), promised epoch ${status.promisedEpoch}, ${status.snapshots} snapshot(s), data in ${options.dir}`);
  const stop = (signal: string) => {
    log(`${signal} received, shutting down`);
    store.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}
