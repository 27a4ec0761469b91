// bench/durability: what a durable write costs. redis-benchmark runs SET, INCR
// and ZADD against Trireme with `--durability quorum` over three local log
// stores (what `npm start` gives: each write is answered once two of the three
// stores have it on disk) and against `redis-server --appendonly yes
// --appendfsync always` (each write answered after its fsync), at -P 1 and
// -P 16 with -c 50, alternating the two servers per round in one run. It
// prints, per test, the median requests per second of each, the ratio
// Trireme / Redis, and the medians of redis-benchmark's own p50 and p99
// latencies (its --csv line), and the CPU time the server's process used per
// request (for Trireme split into the primary's threads and its three local
// store threads), read from /proc: other load on the machine disturbs it much
// less than rates and latencies. The progress lines also say how many
// requests one store's append and fsync carried (its status `io` counters),
// and the last column how many full garbage collections V8 ran in Trireme's
// process during each of its runs (it is started with node --trace-gc).
// Then reads on a read replica: a `--replica` following the durable Trireme's
// local stores answers GET (after 200,000 SETs through the primary), side by
// side with redis-server on the same keys (BENCH_REPLICA=0 skips it).
// Then recovery: 1,000,000 keys are loaded into
// a durable Trireme with `redis-cli --pipe`, the server is stopped (SIGTERM)
// and started again with the same --dir, twice: replaying the whole log, and
// after SAVE (a snapshot and no log after it). Each is timed from the
// process's start to the first PING answered, and by the server's own
// "recovery: ... in N ms" line.
//
//   npm run bench:durability
//   BENCH_ROUNDS=3 BENCH_N=50000 BENCH_N_PIPELINE=200000 BENCH_RECOVERY_KEYS=1000000 npm run bench:durability
//   BENCH_TESTS=set BENCH_MODES=1 BENCH_RECOVERY_KEYS=0 BENCH_REPLICA=0 ...   (a part of it)
//
// Everything listens on 127.0.0.1; every process is stopped and every data
// folder removed at the end. The Markdown report goes to stdout.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis, type RunningRedis } from "../test/helpers/redis-server.ts";
import { freePortGuess, startTrireme, type RunningTrireme } from "../test/helpers/trireme-server.ts";
import { RespClient } from "../test/helpers/resp-client.ts";
import { benchmark, median, type Run } from "./measure.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N_P1 = Number(process.env.BENCH_N ?? 50_000);
const N_P16 = Number(process.env.BENCH_N_PIPELINE ?? 200_000);
const TESTS = (process.env.BENCH_TESTS ?? "set,incr,zadd").split(",").filter((t) => t !== "");
const MODES = (process.env.BENCH_MODES ?? "1,16").split(",").filter((m) => m !== "").map(Number);
const RECOVERY_KEYS = Number(process.env.BENCH_RECOVERY_KEYS ?? 1_000_000);
/** Reads on a read replica: GET against a replica of the durable Trireme, beside redis-server (0: skip). */
const REPLICA_READS = process.env.BENCH_REPLICA !== "0";
const CLI = fileURLToPath(new URL("../server/cli.ts", import.meta.url));

const progress = (s: string) => process.stderr.write(`${s}\n`);
const nFor = (pipeline: number) => (pipeline === 1 ? N_P1 : N_P16);

async function startFsyncAlwaysRedis(): Promise<RunningRedis> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startRedis(freePortGuess(), ["--appendonly", "yes", "--appendfsync", "always"]);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

async function startDurableTrireme(dir: string): Promise<RunningTrireme> {
  return startTrireme(["--durability", "quorum", "--dir", dir], { nodeArgs: ["--trace-gc"] });
}

/** The first local store's io counters (appends, records, fsyncs so far), from its status. */
async function storeIo(trireme: RunningTrireme, dir: string): Promise<{ appends: number; records: number; fileSyncs: number }> {
  const url = /log stores: 3 local store\(s\) under \S+ \((http:\/\/[^,)]+)/.exec(trireme.output())?.[1];
  if (url === undefined) throw new Error(`no local store URL in the server's output:\n${trireme.output()}`);
  const token = readFileSync(join(dir, "log-token"), "utf8").trim();
  const get = async () => await (await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).json() as
    { io?: { appends: number; records: number; fileSyncs: number } };
  // Once more on a failure: a store busy writing a snapshot may close a kept-alive connection as the request arrives.
  const status = await get().catch(get);
  return status.io ?? { appends: 0, records: 0, fileSyncs: 0 };
}

// ---- recovery ------------------------------------------------------------------

/** SET key:0..n-1 (16-byte values) through `redis-cli --pipe`. */
function loadKeys(port: number, n: number): void {
  const chunks: string[] = [];
  let chunk = "";
  for (let i = 0; i < n; i++) {
    const k = `key:${i}`;
    const v = `v${String(i).padStart(15, "0")}`;
    chunk += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$16\r\n${v}\r\n`;
    if (chunk.length > 1 << 20) { chunks.push(chunk); chunk = ""; }
  }
  chunks.push(chunk);
  const r = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--pipe", "--pipe-timeout", "120"], {
    input: chunks.join(""), encoding: "utf8", maxBuffer: 1 << 26, timeout: 900_000,
  });
  if (!/errors: 0, replies: \d+/.test(r.stdout)) throw new Error(`redis-cli --pipe: ${r.stdout}${r.stderr}`);
}

/** A command's reply as its RESP text, without the line end. */
async function reply(client: RespClient, ...args: string[]): Promise<string> {
  return new TextDecoder().decode((await client.send(...args)).bytes).trimEnd();
}

interface Restart { toPingMs: number; recoveryLine: string; recoveryMs: number; dbsize: number; child: ChildProcess; port: number }

/** Starts Trireme on `dir` and times it from spawn to the first PING answered. */
async function timedStart(dir: string): Promise<Restart> {
  const port = freePortGuess();
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, "--port", String(port), "--bind", "127.0.0.1", "--http-port", "0",
    "--durability", "quorum", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`trireme exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`trireme did not answer PING within 300 s:\n${out}`);
    const client = await RespClient.connect(port).catch(() => null);
    if (client !== null) {
      const pong = await reply(client, "PING");
      const toPingMs = performance.now() - started;
      const dbsize = Number((await reply(client, "DBSIZE")).slice(1));
      client.close();
      if (pong === "+PONG") {
        const line = /recovery: (.*replayed in (\d+) ms.*)/.exec(out);
        return { toPingMs, recoveryLine: line?.[1] ?? "(no recovery line)", recoveryMs: Number(line?.[2] ?? NaN), dbsize, child, port };
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const done = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  return done;
}

/** GET on a read replica of `primary` (its local stores, its token under `dir`) and on redis, alternating per round. */
async function replicaReads(primary: RunningTrireme, dir: string, redis: RunningRedis, redisPid: number): Promise<string[]> {
  for (const port of [primary.port, redis.port]) {
    spawnSync("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "-c", "50", "-n", "200000", "-P", "16", "-r", "100000", "-t", "set", "-q"],
      { encoding: "utf8", timeout: 300_000 });
  }
  const info = spawnSync("redis-cli", ["-p", String(primary.port), "INFO", "persistence"], { encoding: "utf8" }).stdout;
  const urls = [...info.matchAll(/^log_store\d+:.*url=([^,\r\n]+)/gm)].map((m) => m[1]!);
  const replica = await startTrireme(["--replica", "--durability", "quorum", "--log-stores", urls.join(","),
    "--log-token-file", join(dir, "log-token"), "--dir", join(dir, "replica")]);
  try {
    const dbsize = (port: number) => spawnSync("redis-cli", ["-p", String(port), "DBSIZE"], { encoding: "utf8" }).stdout.trim();
    const deadline = Date.now() + 60_000;
    while (dbsize(replica.port) !== dbsize(primary.port)) {
      if (Date.now() > deadline) throw new Error(`the replica did not catch up: ${dbsize(replica.port)} of ${dbsize(primary.port)} keys`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = ["| test | -P | redis rps | replica rps | ratio | redis p50 / p99 ms | replica p50 / p99 ms |", "|---|---:|---:|---:|---:|---:|---:|"];
    for (const pipeline of MODES) {
      const r: Run[] = [];
      const t: Run[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const runRedis = () => r.push(benchmark(redis.port, redisPid, "get", pipeline, nFor(pipeline)));
        const runReplica = () => t.push(benchmark(replica.port, replica.process.pid!, "get", pipeline, nFor(pipeline)));
        if (round % 2 === 0) { runRedis(); runReplica(); } else { runReplica(); runRedis(); }
        progress(`  replica get -P ${pipeline} round ${round + 1}: redis ${Math.round(r.at(-1)!.rps)} rps, replica ${Math.round(t.at(-1)!.rps)} rps`);
      }
      const med = (runs: Run[], k: keyof Run) => median(runs.map((x) => x[k]));
      rows.push(`| get | ${pipeline} | ${Math.round(med(r, "rps"))} | ${Math.round(med(t, "rps"))} | ${(med(t, "rps") / med(r, "rps")).toFixed(2)} | ` +
        `${med(r, "p50").toFixed(2)} / ${med(r, "p99").toFixed(2)} | ${med(t, "p50").toFixed(2)} / ${med(t, "p99").toFixed(2)} |`);
    }
    return rows;
  } finally {
    await replica.stop();
  }
}

async function recovery(keys: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "bench-durability-recovery-"));
  const lines: string[] = [];
  try {
    progress(`recovery: loading ${keys} keys ...`);
    const first = await timedStart(dir);
    const loadStart = performance.now();
    loadKeys(first.port, keys);
    const loadMs = performance.now() - loadStart;
    lines.push(`loaded ${keys} keys durably with redis-cli --pipe in ${(loadMs / 1000).toFixed(1)} s (${Math.round(keys / (loadMs / 1000))} SET/s)`);
    await stopChild(first.child);
    const rows = ["| restart | keys | spawn to first PING | recovery (server's line) |", "|---|---:|---:|---:|"];
    for (const snapshot of [false, true]) {
      progress(`recovery: restart ${snapshot ? "after SAVE" : "replaying the log"} ...`);
      const r = await timedStart(dir);
      if (r.dbsize !== keys) throw new Error(`recovered ${r.dbsize} keys, expected ${keys}`);
      rows.push(`| ${snapshot ? "snapshot (SAVE before the stop)" : "whole log, no snapshot"} | ${r.dbsize} | ${(r.toPingMs / 1000).toFixed(2)} s | ${(r.recoveryMs / 1000).toFixed(2)} s |`);
      lines.push(`  ${snapshot ? "snapshot" : "log"}: ${r.recoveryLine}`);
      if (!snapshot) {
        const client = await RespClient.connect(r.port);
        const saved = await reply(client, "SAVE");
        client.close();
        if (saved !== "+OK") throw new Error(`SAVE: ${saved}`);
      }
      await stopChild(r.child);
    }
    return [...rows, "", ...lines];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- main ----------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const out: string[] = [];
  const say = (s: string) => { out.push(s); progress(s); };
  say(`Trireme durability benchmark, ${new Date().toISOString()}`);
  say(`${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  say(`redis-benchmark -c 50 -r 100000, -n ${N_P1} (-P 1) / ${N_P16} (-P 16), ${ROUNDS} rounds, servers alternating`);
  say("trireme: --durability quorum, three local log stores (fsync'd group commit); redis: --appendonly yes --appendfsync always\n");
  const dir = mkdtempSync(join(tmpdir(), "bench-durability-"));
  const redis = await startFsyncAlwaysRedis();
  let trireme: RunningTrireme | undefined;
  const rows = ["| test | -P | redis rps | trireme rps | ratio | redis p50 / p99 ms | trireme p50 / p99 ms | CPU µs per request, redis / trireme (primary + stores) | trireme full GCs per run |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|"];
  let replicaRows: string[] = [];
  const ratios = new Map<number, number[]>();
  const p99s = new Map<number, number[]>();
  const cpuRatios = new Map<number, number[]>();
  try {
    trireme = await startDurableTrireme(dir);
    const redisPid = Number(/process_id:(\d+)/.exec(spawnSync("redis-cli", ["-p", String(redis.port), "INFO", "server"], { encoding: "utf8" }).stdout)![1]);
    for (const pipeline of MODES) {
      for (const test of TESTS) {
        const r: Run[] = [];
        const t: Run[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // Alternate which goes first, so neither always gets the quieter moment.
          const runRedis = () => r.push(benchmark(redis.port, redisPid, test, pipeline, nFor(pipeline)));
          const runTrireme = () => t.push(benchmark(trireme!.port, trireme!.process.pid!, test, pipeline, nFor(pipeline), trireme!.output));
          const io = await storeIo(trireme, dir);
          if (round % 2 === 0) { runRedis(); runTrireme(); } else { runTrireme(); runRedis(); }
          const after = await storeIo(trireme, dir);
          const requests = pipeline === 1 ? N_P1 : N_P16;
          progress(`  ${test} -P ${pipeline} round ${round + 1}: redis ${Math.round(r.at(-1)!.rps)} rps, trireme ${Math.round(t.at(-1)!.rps)} rps ` +
            `(p99 ${r.at(-1)!.p99} / ${t.at(-1)!.p99} ms); a store: ${(requests / Math.max(1, after.appends - io.appends)).toFixed(1)} requests ` +
            `per append, ${(requests / Math.max(1, after.fileSyncs - io.fileSyncs)).toFixed(1)} per fsync`);
        }
        const med = (runs: Run[], k: keyof Run) => median(runs.map((x) => x[k]));
        const ratio = med(t, "rps") / med(r, "rps");
        ratios.set(pipeline, [...(ratios.get(pipeline) ?? []), ratio]);
        p99s.set(pipeline, [...(p99s.get(pipeline) ?? []), med(t, "p99")]);
        cpuRatios.set(pipeline, [...(cpuRatios.get(pipeline) ?? []), med(t, "cpuUs") / med(r, "cpuUs")]);
        rows.push(`| ${test} | ${pipeline} | ${Math.round(med(r, "rps"))} | ${Math.round(med(t, "rps"))} | ${ratio.toFixed(2)} | ` +
          `${med(r, "p50").toFixed(2)} / ${med(r, "p99").toFixed(2)} | ${med(t, "p50").toFixed(2)} / ${med(t, "p99").toFixed(2)} | ` +
          `${med(r, "cpuUs").toFixed(1)} / ${med(t, "cpuUs").toFixed(1)} (${(med(t, "cpuUs") - med(t, "cpuStoresUs")).toFixed(1)} + ${med(t, "cpuStoresUs").toFixed(1)}) | ` +
          `${t.map((x) => x.fullGcs).join(", ")} |`);
      }
    }
    if (REPLICA_READS) replicaRows = await replicaReads(trireme, dir, redis, redisPid);
  } catch (error) {
    // What the server said last (its GC trace left out) tells a failed run from a slow one.
    const said = (trireme?.output() ?? "").split("\n").filter((l) => !/Mark-Compact|Scavenge|Mark-Sweep/.test(l));
    progress(`trireme's last lines:\n${said.slice(-30).join("\n")}`);
    throw error;
  } finally {
    await trireme?.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  out.push(rows.join("\n"), "");
  for (const [pipeline, rs] of ratios) {
    out.push(`-P ${pipeline}: median ratio ${median(rs).toFixed(2)}, median trireme p99 ${median(p99s.get(pipeline)!).toFixed(2)} ms, ` +
      `CPU per request trireme / redis ${median(cpuRatios.get(pipeline)!).toFixed(1)}x`);
  }
  const all = [...ratios.values()].flat();
  if (all.length > 0) out.push(`all: median ratio ${median(all).toFixed(2)}`);
  if (replicaRows.length > 0) out.push("", "Reads on a read replica (--replica over the primary's stores; GET after 200,000 SETs on each server):", "", ...replicaRows);
  if (RECOVERY_KEYS > 0) out.push("", `Recovery of ${RECOVERY_KEYS} keys:`, "", ...await recovery(RECOVERY_KEYS));
  out.push("", `total ${Math.round((Date.now() - started) / 1000)} s`);
  process.stdout.write(`\n${out.join("\n")}\n`);
}

await main();
