// Starts the real log-store process (`trireme logstore`, server/cli.ts) for a
// test, on a free loopback port it picks itself (it prints its URL), and lets
// the test stop it politely or kill it with SIGKILL.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../server/cli.ts", import.meta.url));

export interface RunningLogStoreProcess {
  url: string;
  process: ChildProcess;
  output(): string;
  /** SIGKILL: no shutdown code runs, unsynced writes may be lost. Resolves when the process is gone. */
  kill9(): Promise<void>;
  stop(): Promise<number | null>;
}

export async function startLogStoreProcess(options: {
  dir: string; token: string; region?: string; extraArgs?: string[];
}): Promise<RunningLogStoreProcess> {
  const child = spawn(process.execPath, [
    CLI, "logstore", "--region", options.region ?? "test", "--data", options.dir, "--port", "0",
    "--bind", "127.0.0.1", "--token", options.token, ...(options.extraArgs ?? []),
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once("exit", (code) => { exited = code; resolve(); }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`log store did not start within 15 s:\n${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /ready on (http:\/\/[^:]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`log store exited with ${exited}:\n${out}`));
    });
  });
  return {
    url,
    process: child,
    output: () => out,
    async kill9() {
      if (exited === undefined) child.kill("SIGKILL");
      await exit;
    },
    async stop() {
      if (exited === undefined) child.kill("SIGTERM");
      await exit;
      return exited ?? null;
    },
  };
}
