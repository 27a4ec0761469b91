// Log-store benchmark: durable appends per second and acknowledgement latency
// of one `trireme logstore` process over its WebSocket append stream, against
// redis-server with `appendonly yes, appendfsync always` measured by
// redis-benchmark in the same run. Everything on 127.0.0.1.
//
//   node bench/logstore.ts                  (npm run build first)
//   BENCH_SECONDS=3 BENCH_WINDOWS=1,50 node bench/logstore.ts
//
// An "append" is one WebSocket message of B records (B = 1 or 64), each record
// a SET effect with a 16-byte value (the same write redis-benchmark's SET
// makes); `window` appends are kept in flight, like redis-benchmark's -c
// clients. Latency is from send to the store's durable acknowledgement.
// The Markdown report goes to stdout; progress to stderr.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LogStoreClient } from "../runtime/log/client.ts";
import { encodeFrames, type LogRecord } from "../runtime/log/frame.ts";
import { encodeEffects } from "../runtime/log/payload.ts";
import { nodeCrc32c } from "../server/logstore/server.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WINDOWS = (process.env.BENCH_WINDOWS ?? "1,50").split(",").map(Number);
const BATCHES = (process.env.BENCH_BATCHES ?? "1,64").split(",").map(Number);
const REDIS_SERVER = process.env.BENCH_REDIS_SERVER ?? "redis-server";
const REDIS_BENCHMARK = process.env.BENCH_REDIS_BENCHMARK ?? "redis-benchmark";
const CLI = fileURLToPath(new URL("../server/cli.ts", import.meta.url));
const TOKEN = "bench-token";

const progress = (s: string) => process.stderr.write(`${s}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function startStore(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, "logstore", "--region", "bench", "--data", dir, "--port", "0", "--token", TOKEN], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready on (http:\/\/\S+:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`log store exited with ${code}: ${out}`)));
  });
  return { url, child };
}

interface Result {
  label: string;
  appendsPerSecond: number;
  recordsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function runStore(url: string, batch: number, window: number, firstLsn: number): Promise<{ result: Result; nextLsn: number }> {
  const crc32c = await nodeCrc32c();
  const client = new LogStoreClient(url, TOKEN);
  const stream = await client.openAppendStream();
  const value = new TextEncoder().encode("xxxxxxxxxxxxxxxx");
  const set = new TextEncoder().encode("SET");
  let lsn = firstLsn;
  let keyCounter = 0;
  const nextAppend = (): Uint8Array => {
    const records: LogRecord[] = [];
    for (let i = 0; i < batch; i++) {
      const key = new TextEncoder().encode(`key:${(keyCounter++ % 100000).toString().padStart(12, "0")}`);
      records.push({ lsn: lsn++, epoch: 1, payload: encodeEffects([{ db: 0, args: [set, key, value] }]) });
    }
    return encodeFrames(records, crc32c);
  };
  const latencies: number[] = [];
  let appends = 0;
  let failed = 0;
  const end = performance.now() + SECONDS * 1000;
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const pump = () => {
      while (performance.now() < end && inFlight < window) {
        inFlight++;
        const started = performance.now();
        void stream.append({ epoch: 1, frames: nextAppend() }).then((reply) => {
          inFlight--;
          if (reply.ok) {
            latencies.push(performance.now() - started);
            appends++;
          } else {
            failed++;
          }
          if (performance.now() < end && failed === 0) pump();
          else if (inFlight === 0) resolve();
        });
      }
    };
    pump();
  });
  stream.close();
  if (failed > 0) throw new Error(`${failed} appends failed`);
  latencies.sort((a, b) => a - b);
  return {
    result: {
      label: `log store, ${batch} record${batch === 1 ? "" : "s"} per append, ${window} in flight`,
      appendsPerSecond: appends / SECONDS,
      recordsPerSecond: (appends * batch) / SECONDS,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    },
    nextLsn: lsn,
  };
}

function runRedis(dir: string, clients: number, pipeline: number): Result | null {
  if (spawnSync(REDIS_SERVER, ["--version"]).status !== 0) return null;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(REDIS_SERVER, [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir,
  ], { stdio: "ignore" });
  try {
    for (let i = 0; i < 100; i++) {
      if (spawnSync("redis-cli", ["-p", String(port), "ping"]).stdout?.toString().trim() === "PONG") break;
      spawnSync("sleep", ["0.05"]);
    }
    // -n sized to run about SECONDS at the rate fsync-always allows; --csv gives the percentiles.
    const requests = Math.max(2000, Math.round(SECONDS * (clients === 1 ? 1500 : 15000) * pipeline));
    const run = spawnSync(REDIS_BENCHMARK, [
      "-p", String(port), "-t", "set", "-n", String(requests), "-c", String(clients), "-P", String(pipeline),
      "-r", "100000", "-d", "16", "--csv",
    ], { encoding: "utf8" });
    const line = run.stdout.split("\n").find((l) => l.startsWith('"SET"'));
    if (line === undefined) throw new Error(`redis-benchmark said: ${run.stdout}${run.stderr}`);
    const fields = line.split(",").map((f) => Number(f.replace(/"/g, "")));
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    return {
      label: `redis-server fsync always, SET, -c ${clients} -P ${pipeline}`,
      appendsPerSecond: fields[1]! / pipeline,
      recordsPerSecond: fields[1]!,
      p50Ms: fields[4]!,
      p99Ms: fields[6]!,
    };
  } finally {
    server.kill("SIGKILL");
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "trireme-bench-logstore-"));
  const results: Result[] = [];
  try {
    const { url, child } = await startStore(join(dir, "store"));
    try {
      const client = new LogStoreClient(url, TOKEN);
      await client.promise({ epoch: 1, candidate: "bench" });
      let lsn = 1;
      for (const batch of BATCHES) {
        for (const window of WINDOWS) {
          progress(`log store: batch ${batch}, window ${window} ...`);
          const run = await runStore(url, batch, window, lsn);
          lsn = run.nextLsn;
          results.push(run.result);
        }
      }
    } finally {
      child.kill("SIGTERM");
    }
    for (const [clients, pipeline] of [[1, 1], [50, 1], [50, 16]] as const) {
      progress(`redis-server: -c ${clients} -P ${pipeline} ...`);
      const r = runRedis(join(dir), clients, pipeline);
      if (r !== null) results.push(r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const ms = (n: number) => n.toFixed(2);
  const lines = [
    "| run | appends/s | records/s | p50 ack ms | p99 ack ms |",
    "|---|---:|---:|---:|---:|",
    ...results.map((r) => `| ${r.label} | ${fmt(r.appendsPerSecond)} | ${fmt(r.recordsPerSecond)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} |`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
