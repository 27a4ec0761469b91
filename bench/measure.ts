// What the durability benchmarks measure of one redis-benchmark run against a
// server: its rate and latencies, and the CPU time the server's process (and
// Trireme's primary thread and local store threads) used per request, read
// from /proc, which other load on the machine disturbs much less than rates.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * cpuUs: the server's whole process; cpuStoresUs: Trireme's local log store
 * threads in it; cpuMainUs: its main thread (the primary's event loop);
 * fullGcs: V8's full collections (Mark-Compact, any thread of Trireme's
 * process, from its --trace-gc output) during the run, each a pause.
 */
export interface Run { rps: number; p50: number; p99: number; cpuUs: number; cpuStoresUs: number; cpuMainUs: number; fullGcs: number }

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU time (user + system, µs) a process, or one thread (/proc/PID/task/TID), has used so far. */
function cpuMicrosOf(statPath: string): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th.
  const stat = readFileSync(statPath, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS;
}

/** CPU used so far (µs): the whole process, its log store threads (named "store <region>", server/logstore/thread.ts), and its main thread (the primary's event loop). */
export interface CpuSample { all: number; stores: number; main: number }

export function cpuSample(pid: number): CpuSample {
  let stores = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").startsWith("store ")) stores += cpuMicrosOf(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return { all: cpuMicrosOf(`/proc/${pid}/stat`), stores, main: cpuMicrosOf(`/proc/${pid}/task/${pid}/stat`) };
}

/**
 * One redis-benchmark run; its --csv line carries rps and latency
 * percentiles (ms). `pid` is the server's process: the CPU it used per
 * request is a figure that other load on the machine disturbs much less than
 * rates and latencies.
 */
export function benchmark(port: number, pid: number, test: string, pipeline: number, n: number, gcTrace?: () => string): Run {
  const traced = gcTrace?.().length ?? 0;
  const before = cpuSample(pid);
  const r = spawnSync("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "-c", "50", "-n", String(n), "-P", String(pipeline),
    "-r", "100000", "-t", test, "--csv"], { encoding: "utf8", timeout: 300_000 });
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const header = r.stdout.split("\n").find((l) => l.startsWith('"test"'));
  const line = r.stdout.split("\n").find((l) => l.startsWith('"') && !l.startsWith('"test"'));
  if (header === undefined || line === undefined) throw new Error(`redis-benchmark ${test} -P ${pipeline} on ${port}: ${r.stdout}${r.stderr}`);
  const after = cpuSample(pid);
  const names = header.split(",").map((f) => f.replace(/"/g, ""));
  const values = line.split(",").map((f) => f.replace(/"/g, ""));
  const field = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`redis-benchmark's CSV has no ${name}: ${header}`);
    return Number(values[i]);
  };
  return {
    rps: field("rps"), p50: field("p50_latency_ms"), p99: field("p99_latency_ms"),
    cpuUs: (after.all - before.all) / n, cpuStoresUs: (after.stores - before.stores) / n, cpuMainUs: (after.main - before.main) / n,
    fullGcs: gcTrace === undefined ? 0 : (gcTrace().slice(traced).match(/Mark-Compact/g) ?? []).length,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
