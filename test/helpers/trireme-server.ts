// Starts the real Trireme server process (server/cli.ts) for a test, on a
// random loopback port, and stops it afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = fileURLToPath(new URL("../../server/cli.ts", import.meta.url));

export interface RunningTrireme {
  port: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
  /** Resolves once it has printed its ready line and accepts connections; rejects if it exits or `ms` pass. */
  ready(ms?: number): Promise<void>;
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

/**
 * A random port above Linux's ephemeral range (32768-60999), so that no
 * outgoing connection of the machine holds it; a port another test took
 * meanwhile is retried (EADDRINUSE).
 */
export function freePortGuess(): number {
  return 61000 + Math.floor(Math.random() * 4500);
}

export interface StartOptions {
  /** A config file to start from (the first argument, before the flags). */
  configFile?: string;
  /**
   * Return once the process is spawned, not once it serves: for a server that
   * waits (an election) before it listens. No retry on a taken port then.
   */
  noWait?: boolean;
  /** Options for node itself, before the script (a benchmark's --trace-gc). */
  nodeArgs?: string[];
  /** The server's entry, when not this checkout's (another build, for bench/durability-ab.ts). */
  cli?: string;
}

export async function startTrireme(extraArgs: string[] = [], options: StartOptions = {}, attempts = 5): Promise<RunningTrireme> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnRandomPort(extraArgs, options);
    } catch (error) {
      if (attempt >= attempts || !String(error).includes("EADDRINUSE")) throw error;
    }
  }
}

async function startOnRandomPort(extraArgs: string[], options: StartOptions): Promise<RunningTrireme> {
  const port = freePortGuess();
  const leading = options.configFile === undefined ? [] : [options.configFile];
  // The HTTP API stays off unless a test asks for it: its default port would clash between servers.
  const http = extraArgs.includes("--http-port") ? [] : ["--http-port", "0"];
  // Memory only unless a test asks for durability: the default (quorum over
  // three local log stores under --dir) would share ./data between tests.
  // TEST_DURABILITY=quorum runs every server test durably instead,
  // each server over its own local stores in a fresh folder.
  let dataDir: string | undefined;
  if (!extraArgs.includes("--durability")) {
    const mode = process.env.TEST_DURABILITY;
    if (mode === undefined || mode === "none") http.push("--durability", "none");
    else {
      dataDir = mkdtempSync(join(tmpdir(), "trireme-test-"));
      http.push("--durability", mode, "--dir", dataDir);
    }
  }
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.cli ?? CLI, ...leading, "--port", String(port), "--bind", "127.0.0.1", ...http, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  let exitCode: number | null | undefined;
  child.once("exit", (code) => {
    exitCode = code;
    // Its local log stores end with it; then their folder can go.
    if (dataDir !== undefined) setTimeout(() => rmSync(dataDir!, { recursive: true, force: true }), 500).unref();
  });
  const ready = async (ms = 15_000) => {
    const deadline = Date.now() + ms;
    // Its own "ready" line first: another process (another test's store or server) may hold
    // the guessed port, and connecting to it would look like this server being up.
    while (!/ ready: RESP on /.test(out) || !(await canConnect(port))) {
      if (exitCode !== undefined) throw new Error(`trireme exited with ${exitCode}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`trireme did not start within ${ms / 1000} s:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  if (options.noWait !== true) await ready();
  return {
    port,
    process: child,
    output: () => out,
    ready,
    async stop() {
      if (exitCode !== undefined) return exitCode;
      const done = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      return done;
    },
  };
}
