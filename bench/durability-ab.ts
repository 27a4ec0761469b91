// bench/durability-ab: this checkout's durable server against another
// revision's, side by side, for changes too small for one run's rates to show
// on a shared machine (rates of one build here drift 20-30% within an hour).
//
// The other revision is checked out into a temporary git worktree (with this
// checkout's node_modules linked in, and its core built). Then, ROUNDS times,
// each side in turn (which one goes first alternates) starts a durable server
// (`--durability quorum`, three local log stores in a fresh folder) and runs
// redis-benchmark SET at -P 16 (three runs) and -P 1 (one run), -c 50
// -r 100000. Per side it prints the medians of the rate, the p99, and the CPU
// time per request of the primary's main thread and of the three store
// threads (/proc): the CPU figures are the ones to judge a change by.
//
//   BENCH_BASE=HEAD~1 npm run bench:durability-ab
//   BENCH_BASE=f700ccf BENCH_ROUNDS=6 npm run bench:durability-ab
//   BENCH_BASE=main BENCH_TEST=incr BENCH_N=50000 BENCH_N_PIPELINE=400000 ...
//
// Everything listens on 127.0.0.1; the servers, their folders and the worktree
// are removed at the end. The Markdown report goes to stdout.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTrireme, type RunningTrireme } from "../test/helpers/trireme-server.ts";
import { benchmark, median, type Run } from "./measure.ts";

const BASE = process.env.BENCH_BASE ?? "HEAD";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const TEST = process.env.BENCH_TEST ?? "set";
const N_P1 = Number(process.env.BENCH_N ?? 50_000);
const N_P16 = Number(process.env.BENCH_N_PIPELINE ?? 400_000);
/** Per server start: this many -P 16 runs, then one -P 1 run. */
const P16_RUNS = 3;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const progress = (s: string) => process.stderr.write(`${s}\n`);

interface Side { name: string; root: string; p16: Run[]; p1: Run[] }

/** A worktree of `rev` beside this checkout, sharing its node_modules, with its core built. */
function checkout(rev: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-ab-"));
  execFileSync("git", ["-C", ROOT, "worktree", "add", "--detach", dir, rev], { stdio: "ignore" });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  execFileSync(process.execPath, [join(dir, "scripts", "build.ts")], { cwd: dir, stdio: "ignore" });
  return dir;
}

async function measure(side: Side): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-ab-data-"));
  let server: RunningTrireme | undefined;
  try {
    server = await startTrireme(["--durability", "quorum", "--dir", dir], { cli: join(side.root, "server", "cli.ts") });
    const pid = server.process.pid!;
    benchmark(server.port, pid, TEST, 16, 100_000); // warm-up: the JIT, the stores' files
    for (let i = 0; i < P16_RUNS; i++) side.p16.push(benchmark(server.port, pid, TEST, 16, N_P16));
    side.p1.push(benchmark(server.port, pid, TEST, 1, N_P1));
    const last = side.p16[side.p16.length - 1]!;
    progress(`  ${side.name}: -P 16 ${Math.round(last.rps)} rps, primary ${last.cpuMainUs.toFixed(2)} µs, stores ${last.cpuStoresUs.toFixed(2)} µs per request`);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(side: Side): string {
  const med = (runs: Run[], k: keyof Run) => median(runs.map((r) => r[k]));
  return `| ${side.name} | ${Math.round(med(side.p16, "rps"))} | ${med(side.p16, "p99").toFixed(2)} | ${med(side.p16, "cpuMainUs").toFixed(2)} | ` +
    `${med(side.p16, "cpuStoresUs").toFixed(2)} | ${Math.round(med(side.p1, "rps"))} | ${med(side.p1, "cpuMainUs").toFixed(1)} | ${med(side.p1, "cpuStoresUs").toFixed(1)} |`;
}

async function main(): Promise<void> {
  const rev = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", BASE], { encoding: "utf8" }).trim();
  const out = [
    `Trireme durability A/B, ${new Date().toISOString()}: this checkout against ${BASE} (${rev})`,
    `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), Node ${process.versions.node}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`,
    `redis-benchmark -t ${TEST} -c 50 -r 100000: per server ${P16_RUNS} x -P 16 (-n ${N_P16}) and 1 x -P 1 (-n ${N_P1}); ${ROUNDS} rounds, alternating`,
  ];
  for (const line of out) progress(line);
  const root = checkout(rev);
  const base: Side = { name: `base (${rev})`, root, p16: [], p1: [] };
  const mine: Side = { name: "this checkout", root: ROOT, p16: [], p1: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      progress(`round ${round + 1} of ${ROUNDS}`);
      for (const side of round % 2 === 0 ? [base, mine] : [mine, base]) await measure(side);
    }
  } finally {
    execFileSync("git", ["-C", ROOT, "worktree", "remove", "--force", root], { stdio: "ignore" });
  }
  out.push("",
    "| build | -P 16 rps | -P 16 p99 ms | -P 16 primary µs / request | -P 16 stores µs | -P 1 rps | -P 1 primary µs | -P 1 stores µs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    row(base), row(mine), "",
    `medians over ${base.p16.length} -P 16 runs and ${base.p1.length} -P 1 runs per build`);
  process.stdout.write(`\n${out.join("\n")}\n`);
}

await main();
