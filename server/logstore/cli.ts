// `trireme logstore`: runs one log store in this process.
//
//   trireme logstore --region local-a --data ./data/logstore-a --port 7101 --token T

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, parseMemory } from "../config.ts";
import { startLogStore, startupReport } from "./server.ts";

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
  --exit-with-parent     exit when standard input closes (for a supervisor that
                         starts the store as its child: it ends with its parent)
  --help                 this text
`;

export interface LogStoreCliOptions {
  region: string;
  dir: string;
  port: number;
  token: string;
  bind: string;
  segmentBytes: number;
  exitWithParent: boolean;
}

export function parseLogStoreArgs(argv: string[]): LogStoreCliOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!flag.startsWith("--")) throw new ConfigError(`expected an option, got '${flag}'`);
    if (flag === "--exit-with-parent") {
      values.set("exit-with-parent", "yes");
      continue;
    }
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
    exitWithParent: values.has("exit-with-parent"),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes DIR/lock (holding our pid), so that two store processes never share
 * one data folder: a folder whose lock names a live process is waited for up
 * to `waitMs` (a store that is still shutting down), then refused; a lock
 * left by a dead process (kill -9) is taken over. Returns the release.
 */
export async function lockDataDir(dir: string, waitMs = 10_000): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "lock");
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(path, "utf8").trim());
    } catch {
      continue; // removed meanwhile
    }
    if (!Number.isInteger(owner) || owner <= 0 || owner === process.pid || !alive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new ConfigError(`data folder ${dir} is in use by process ${owner} (${path})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function logStoreMain(argv: string[], log: (message: string) => void): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(LOGSTORE_HELP);
    return;
  }
  const options = parseLogStoreArgs(argv);
  const unlock = await lockDataDir(options.dir);
  process.once("exit", unlock);
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
  for (const line of await startupReport(store, options.region, options.dir)) log(line);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, shutting down`);
    store.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  if (options.exitWithParent) {
    process.stdin.on("data", () => {});
    process.stdin.once("close", () => stop("parent gone (stdin closed)"));
    process.stdin.once("end", () => stop("parent gone (stdin closed)"));
  }
}
