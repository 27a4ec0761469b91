// Starts a real redis-server for differential tests: the oracle. It listens
// on loopback only, keeps nothing on disk, and is stopped when the tests end.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection } from "node:net";

export interface RunningRedis {
  port: number;
  stop(): Promise<void>;
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

/** Starts redis-server on `port`; `extraArgs` are more redis.conf flags (`--timeout 1`). */
export async function startRedis(port: number, extraArgs: string[] = []): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), "trireme-oracle-"));
  const child: ChildProcess = spawn("redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
    "--dir", dir, "--protected-mode", "yes", ...extraArgs,
  ], { stdio: "ignore" });
  let exited = false;
  child.once("exit", () => { exited = true; });
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`redis-server exited at start (is port ${port} free? is redis-server installed?)`);
    if (Date.now() > deadline) throw new Error("redis-server did not start within 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A redis-server of this test file's own, on a random free loopback port:
 * test files run in parallel, and FLUSHALL in one must not wipe another's data.
 */
export async function startPrivateRedis(): Promise<RunningRedis> {
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      return await startRedis(port);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}
