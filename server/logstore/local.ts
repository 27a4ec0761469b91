// Local log stores: what `trireme` starts when no --log-stores are given, so
// that a newcomer's `npm start` is durable out of the box. Each store is a
// child process (`trireme logstore`, one per data folder under --dir:
// local-a, local-b, local-c), listening on its own loopback port, with a
// token generated once and kept in DIR/log-token (mode 0600). The children
// exit when the primary does (--exit-with-parent: their stdin is a pipe from
// us, closed by the kernel even on kill -9), and a child that dies while the
// primary runs is restarted on the same port, so the primary's link to it
// reconnects. A restart with the same --dir finds the same data.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface LocalStores {
  readonly urls: string[];
  readonly regions: string[];
  readonly token: string;
  readonly tokenFile: string;
  close(): Promise<void>;
}

/** The token of the local stores under `dir`: read from DIR/log-token, or made and saved there. */
export function localStoreToken(dir: string): { token: string; file: string } {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "log-token");
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length > 0) return { token, file };
  }
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, token + "\n", { mode: 0o600 });
  return { token, file };
}

interface Child {
  region: string;
  port: number;
  process: ChildProcess | null;
  exited: Promise<void>;
}

export async function startLocalStores(dir: string, count: number, log: (message: string) => void): Promise<LocalStores> {
  const root = resolve(dir);
  const { token, file } = localStoreToken(root);
  const regions = Array.from({ length: count }, (_, i) => `local-${String.fromCharCode(97 + i)}`);
  let closing = false;
  const children: Child[] = [];

  const spawnChild = (child: Child): Promise<string> => {
    const proc = spawn(process.execPath, [
      CLI, "logstore", "--region", child.region, "--data", join(root, child.region), "--port", String(child.port),
      "--bind", "127.0.0.1", "--token-file", file, "--exit-with-parent",
    ], { stdio: ["pipe", "pipe", "pipe"] });
    child.process = proc;
    let out = "";
    let ready = false;
    child.exited = new Promise((r) => proc.once("exit", () => r()));
    return new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`log store ${child.region} did not start within ${READY_TIMEOUT_MS / 1000} s:\n${out}`)), READY_TIMEOUT_MS);
      const onLine = (line: string) => {
        if (line.trim() === "") return;
        const m = /ready on (http:\/\/[^\s:]+:(\d+))/.exec(line);
        if (m && !ready) {
          ready = true;
          clearTimeout(timer);
          child.port = Number(m[2]);
          resolveUrl(m[1]!);
        }
        // The store's own lines (ready, recovery reports) are worth seeing.
        log(`[${child.region}] ${line.replace(/^\d+:M \S+ \S+ \* /, "")}`);
      };
      let buffered = "";
      const onData = (d: Buffer) => {
        out += d.toString();
        buffered += d.toString();
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      };
      proc.stdout!.on("data", onData);
      proc.stderr!.on("data", onData);
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!ready) {
          reject(new Error(`log store ${child.region} exited (${code ?? signal}) before it was ready:\n${out}`));
          return;
        }
        if (closing) return;
        log(`log store ${child.region} exited (${code ?? signal}); restarting it on port ${child.port}`);
        restart(child);
      });
    });
  };

  /** Starts a child again after a second, and keeps trying while it fails (its port may be taken for a while). */
  const restart = (child: Child): void => {
    setTimeout(() => {
      if (closing) return;
      spawnChild(child).catch((error: unknown) => {
        log(`log store ${child.region} could not restart: ${String(error).split("\n")[0]}; trying again`);
        restart(child);
      });
    }, 1000);
  };

  const urls: string[] = [];
  try {
    for (const region of regions) {
      const child: Child = { region, port: 0, process: null, exited: Promise.resolve() };
      children.push(child);
    }
    urls.push(...await Promise.all(children.map((c) => spawnChild(c))));
  } catch (error) {
    closing = true;
    for (const c of children) c.process?.kill("SIGKILL");
    throw error;
  }
  return {
    urls,
    regions,
    token,
    tokenFile: file,
    async close() {
      closing = true;
      for (const c of children) {
        if (c.process !== null && c.process.exitCode === null && c.process.signalCode === null) c.process.kill("SIGTERM");
      }
      await Promise.all(children.map((c) => c.exited));
    },
  };
}
