// bench/server: redis-benchmark against the Trireme server and redis-server,
// alternating, in one run, for SET GET INCR LPUSH RPOP SADD HSET ZADD ZRANGE
// (redis-benchmark has no ZRANGE test: it runs `ZRANGE myzset 0 9` over the
// set its ZADD test filled) MSET,
// at -P 1 and -P 16 with -c 50; prints each ratio (Trireme / Redis, medians
// over rounds) and the geometric mean per pipeline depth. Then bytes per key
// of 1,000,000 keys with 16-byte values loaded with `redis-cli --pipe`, RSS
// growth of each server process.
//
//   npm run bench:server
//   BENCH_ROUNDS=3 BENCH_N=100000 BENCH_MEM_KEYS=1000000 npm run bench:server
//
// Both servers listen on loopback only and are stopped at the end. Trireme
// runs with durability none (this measures the server, not the log).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, cpus, totalmem, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createConnection } from "node:net";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N_P1 = Number(process.env.BENCH_N ?? 100_000);
const N_P16 = Number(process.env.BENCH_N_PIPELINE ?? 500_000);
const MEM_KEYS = Number(process.env.BENCH_MEM_KEYS ?? 1_000_000);
const TESTS = (process.env.BENCH_TESTS ?? "set,get,incr,lpush,rpop,sadd,hset,zadd,zrange,mset").split(",");
const CLI = fileURLToPath(new URL("../server/cli.ts", import.meta.url));

interface Server { name: string; port: number; child: ChildProcess; dir: string }

function port(): number {
  return 61000 + Math.floor(Math.random() * 4500);
}

async function waitForPort(p: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port: p });
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null) throw new Error(`server on ${p} exited`);
    if (Date.now() > deadline) throw new Error(`server on ${p} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startRedis(): Promise<Server> {
  const p = port();
  const dir = mkdtempSync(join(tmpdir(), "bench-redis-"));
  const child = spawn("redis-server", ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  await waitForPort(p, child);
  return { name: "redis", port: p, child, dir };
}

async function startTrireme(): Promise<Server> {
  const p = port();
  const dir = mkdtempSync(join(tmpdir(), "bench-trireme-"));
  const args = [CLI, "--port", String(p), "--bind", "127.0.0.1", "--http-port", "0", "--dir", dir];
  // Durability none where the setting exists (the durable log is measured by bench/durability).
  const help = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" }).stdout;
  if (help.includes("--durability")) args.push("--durability", "none");
  const child = spawn(process.execPath, args, { stdio: "ignore" });
  await waitForPort(p, child);
  return { name: "trireme", port: p, child, dir };
}

function stop(s: Server): void {
  s.child.kill("SIGKILL");
  rmSync(s.dir, { recursive: true, force: true });
}

/** Requests per second of one redis-benchmark run (its CSV output). */
function benchmark(p: number, test: string, pipeline: number): number {
  const n = pipeline === 1 ? N_P1 : N_P16;
  const what = test === "zrange" ? ["ZRANGE", "myzset", "0", "9"] : ["-t", test];
  const r = spawnSync("redis-benchmark", ["-h", "127.0.0.1", "-p", String(p), "-c", "50", "-n", String(n), "-P", String(pipeline),
    "-r", "100000", "--csv", "-q", ...what], { encoding: "utf8", timeout: 180_000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith('"') && !l.startsWith('"test"'));
  if (line === undefined) throw new Error(`redis-benchmark ${test} -P ${pipeline} on ${p}: ${r.stdout}${r.stderr}`);
  return Number(line.split(",")[1]!.replace(/"/g, ""));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
}

async function memoryPerKey(s: Server): Promise<number> {
  const before = rss(s.child.pid!);
  let input = "";
  const chunks: string[] = [];
  for (let i = 0; i < MEM_KEYS; i++) {
    const k = `key:${i}`;
    const v = `v${String(i).padStart(15, "0")}`;
    input += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$16\r\n${v}\r\n`;
    if (input.length > 1 << 20) { chunks.push(input); input = ""; }
  }
  chunks.push(input);
  const r = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(s.port), "--pipe"], { input: chunks.join(""), encoding: "utf8", maxBuffer: 1 << 26 });
  if (!/errors: 0, replies: \d+/.test(r.stdout)) throw new Error(`redis-cli --pipe into ${s.name}: ${r.stdout}${r.stderr}`);
  await new Promise((res) => setTimeout(res, 2000));
  return (rss(s.child.pid!) - before) / MEM_KEYS;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`Trireme server benchmark, ${new Date().toISOString()}`);
  console.log(`${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  console.log(`rounds=${ROUNDS} -c 50 -n ${N_P1} (P1) / ${N_P16} (P16), alternating redis and trireme per test\n`);
  const redis = await startRedis();
  const trireme = await startTrireme();
  const lines: string[] = ["| test | -P | redis rps | trireme rps | ratio |", "|---|---:|---:|---:|---:|"];
  const geomeans: string[] = [];
  try {
    for (const pipeline of [1, 16]) {
      const ratios: number[] = [];
      for (const test of TESTS) {
        const r: number[] = [];
        const t: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          r.push(benchmark(redis.port, test, pipeline));
          t.push(benchmark(trireme.port, test, pipeline));
        }
        const ratio = median(t) / median(r);
        ratios.push(ratio);
        lines.push(`| ${test} | ${pipeline} | ${Math.round(median(r))} | ${Math.round(median(t))} | ${ratio.toFixed(2)} |`);
        console.error(lines[lines.length - 1]);
      }
      const g = Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length);
      geomeans.push(`-P ${pipeline}: geometric mean ratio ${g.toFixed(2)}`);
    }
    console.log(lines.join("\n"));
    console.log("");
    for (const g of geomeans) console.log(g);
    if (MEM_KEYS > 0) {
      const freshRedis = await startRedis();
      const freshTrireme = await startTrireme();
      try {
        const r = await memoryPerKey(freshRedis);
        const t = await memoryPerKey(freshTrireme);
        console.log(`\nbytes per key (RSS growth, ${MEM_KEYS} keys, 16-byte values): redis ${r.toFixed(1)}, trireme ${t.toFixed(1)}, ratio ${(t / r).toFixed(2)}`);
      } finally {
        stop(freshRedis);
        stop(freshTrireme);
      }
    }
  } finally {
    stop(redis);
    stop(trireme);
  }
  console.log(`\ntotal ${Math.round((Date.now() - started) / 1000)} s`);
}

await main();
