// The engine benchmark: `npm run bench` (docs/BENCHMARKS.md explains it).
//
// In-process throughput of the engine against plain JavaScript structures
// doing the same job, in the same process, in alternating rounds:
//
//   strings   SET, GET, INCR        vs Map<string, string>
//   hashes    HSET                  vs Map<string, Map<string, string>>
//   zsets     ZADD, ZRANK, ZRANGE   vs a JS skiplist with spans (baseline/skiplist.ts)
//
// each through the engine one call per operation (Store.command, replies as
// JS values) and batched (Store.pipeline, BENCH_BATCH commands per call into
// the core, replies left as RESP bytes; for GET also decoded to strings).
// Keys are built per operation from a template, as a real caller's keys
// are: reusing the inserted string objects would flatter Map, which caches a
// string's hash and compares identical strings by pointer.
//
// Commands that this build of the engine does not have are detected at run
// time and reported as "not available".
//
// Then memory: bytes per key for BENCH_MEM_KEYS keys with 16-byte values,
// loaded through the engine in a fresh Node process (RSS growth and Wasm
// memory growth), next to redis-server's RSS growth for the same data
// loaded with `redis-cli --pipe`.
//
// The machine is shared, so each sample is timed by this thread's CPU time
// (process.threadCpuUsage: time spent descheduled does not count) as well
// as by the wall clock; ratios are taken per round, between variants that
// ran back to back on the same data, and their median is reported.

import { readFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { openStore, ReplyError, type Pipeline, type Store } from "../runtime/store.ts";
import { JsSortedSet } from "./baseline/skiplist.ts";

const WASM_PATH = fileURLToPath(new URL("../build/trireme-core.wasm", import.meta.url));

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return Math.floor(v);
}

const CONFIG = {
  /** Keys in the string keyspace (GET, SET). */
  keys: envNumber("BENCH_KEYS", 1_000_000),
  /** Operations per variant per round (strings, hashes). */
  ops: envNumber("BENCH_OPS", 300_000),
  /** Operations per variant per round for sorted sets (slower per operation). */
  zsetOps: envNumber("BENCH_ZSET_OPS", 100_000),
  rounds: envNumber("BENCH_ROUNDS", 5),
  /** Commands per call into the core in the batched variants. */
  batch: Math.max(1, envNumber("BENCH_BATCH", 256)),
  /** Distinct counters INCR works on. */
  counters: envNumber("BENCH_COUNTERS", 100_000),
  hashKeys: envNumber("BENCH_HASH_KEYS", 10_000),
  hashFields: envNumber("BENCH_HASH_FIELDS", 20),
  /** Members of the one sorted set ZADD, ZRANK and ZRANGE work on. */
  zsetMembers: envNumber("BENCH_ZSET_MEMBERS", 200_000),
  /** Members each ZRANGE returns. */
  rangeLength: envNumber("BENCH_RANGE_LENGTH", 10),
  /** Keys loaded for the memory measurement (0 skips it). */
  memKeys: envNumber("BENCH_MEM_KEYS", 1_000_000),
};
const SECTIONS = new Set((process.env.BENCH_ONLY ?? "strings,hashes,zsets,memory").split(",").map((s) => s.trim()));
const REDIS_SERVER = process.env.BENCH_REDIS_SERVER ?? "redis-server";
const REDIS_CLI = process.env.BENCH_REDIS_CLI ?? "redis-cli";

// ---- timing -------------------------------------------------------------------

function threadCpuSeconds(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Sample {
  cpuRate: number;
  wallRate: number;
}

function measure(ops: number, fn: () => void): Sample {
  const wall0 = performance.now();
  const cpu0 = threadCpuSeconds();
  fn();
  const cpu = threadCpuSeconds() - cpu0;
  const wall = (performance.now() - wall0) / 1000;
  return { cpuRate: ops / Math.max(cpu, 1e-9), wallRate: ops / Math.max(wall, 1e-9) };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** xorshift32: fast, seeded, good enough to pick keys. */
function randomIndices(count: number, below: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % below;
  }
  return out;
}

// ---- variants and results ---------------------------------------------------------

interface Variant {
  name: string;
  /** Runs `count` operations, using operation indices from `from` on. */
  run: (from: number, count: number) => void;
}

interface Row {
  op: string;
  variant: string;
  cpuRate: number;
  wallRate: number;
  /** Median over rounds of this variant's rate / the baseline's rate in the same round (CPU time). */
  ratio: number;
}

interface Target {
  label: string;
  op: string;
  variant: string;
  ratio: number;
  /** "ops": higher is better; "memory": lower is better. */
  kind: "ops" | "memory";
}

const rows: Row[] = [];
const unavailable: string[] = [];
const targetResults: { label: string; actual: number | null; wanted: number; kind: "ops" | "memory" }[] = [];

/**
 * Runs the variants of one operation in alternating rounds (the starting
 * variant rotates), each on its own slice of the operation indices, and
 * records medians. The first variant is the baseline.
 */
function benchOp(op: string, variants: Variant[], ops = CONFIG.ops): void {
  const samples = variants.map(() => [] as Sample[]);
  const ratios = variants.map(() => [] as number[]);
  const n = variants.length;
  for (let round = 0; round < CONFIG.rounds; round++) {
    const roundSamples: Sample[] = new Array(n);
    for (let k = 0; k < n; k++) {
      const v = (round + k) % n;
      const from = (round * n + v) * ops;
      roundSamples[v] = measure(ops, () => variants[v]!.run(from, ops));
    }
    for (let v = 0; v < n; v++) {
      samples[v]!.push(roundSamples[v]!);
      ratios[v]!.push(roundSamples[v]!.cpuRate / roundSamples[0]!.cpuRate);
    }
  }
  for (let v = 0; v < n; v++) {
    const row: Row = {
      op,
      variant: variants[v]!.name,
      cpuRate: median(samples[v]!.map((s) => s.cpuRate)),
      wallRate: median(samples[v]!.map((s) => s.wallRate)),
      ratio: median(ratios[v]!),
    };
    rows.push(row);
    console.error(`  ${op.padEnd(7)} ${row.variant.padEnd(34)} ${fmtRate(row.cpuRate)}  x${row.ratio.toFixed(2)}`);
  }
}

function fmtRate(r: number): string {
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : `${(r / 1e3).toFixed(0)} k/s`;
}

// ---- the engine -------------------------------------------------------------------

const wasm = readFileSync(WASM_PATH);
const openEngine = (): Promise<Store> => openStore(wasm, { activeExpireIntervalMs: 0 });

/** Whether this build of the engine knows the command. */
async function engineHas(args: string[]): Promise<boolean> {
  const probe = await openEngine();
  try {
    probe.command(...args);
    return true;
  } catch (e) {
    if (e instanceof ReplyError && e.message.startsWith("ERR unknown command")) return false;
    throw e;
  } finally {
    probe.close();
  }
}

const B = CONFIG.batch;

/** Runs what is left in a pipeline. */
function drain(p: Pipeline): void {
  if (p.length > 0) p.exec();
}

// The measured variants write their loops out in full (no per-operation
// callback), as the baselines do, so that neither side pays for a call V8
// cannot inline.

/** Runs `count` commands through a pipeline, BENCH_BATCH per call into the core (for loading). */
function pipelined(store: Store, count: number, add: (p: Pipeline, i: number) => void): void {
  const p = store.pipeline();
  for (let i = 0; i < count; i++) {
    add(p, i);
    if (p.length === B) p.exec();
  }
  drain(p);
}

// ---- strings ----------------------------------------------------------------------

async function benchStrings(): Promise<void> {
  const { keys, ops, rounds, counters } = CONFIG;
  console.error(`strings: loading ${keys} keys into Map and engine...`);
  const map = new Map<string, string>();
  const store = await openEngine();
  const loadMap = measure(keys, () => {
    for (let i = 0; i < keys; i++) map.set(`key:${i}`, `v${String(i).padStart(15, "0")}`);
  });
  const loadEngine = measure(keys, () => pipelined(store, keys, (p, i) => p.set(`key:${i}`, `v${String(i).padStart(15, "0")}`)));
  rows.push({ op: "load", variant: "Map<string,string> (SET insert)", cpuRate: loadMap.cpuRate, wallRate: loadMap.wallRate, ratio: 1 });
  rows.push({ op: "load", variant: "engine, pipeline (SET insert)", cpuRate: loadEngine.cpuRate, wallRate: loadEngine.wallRate, ratio: loadEngine.cpuRate / loadMap.cpuRate });

  // Enough indices for every variant of every round to use its own slice.
  const idx = randomIndices(ops * rounds * 5, keys, 0x9e3779b9);

  benchOp("SET", [
    { name: "Map<string,string>", run: (from, n) => { for (let i = from; i < from + n; i++) map.set(`key:${idx[i]}`, `value:${i}`); } },
    { name: "engine, Store.command", run: (from, n) => { for (let i = from; i < from + n; i++) store.command("SET", `key:${idx[i]}`, `value:${i}`); } },
    { name: `engine, pipeline (batch ${B})`, run: (from, n) => { const p = store.pipeline(); for (let i = from; i < from + n; i++) { p.set(`key:${idx[i]}`, `value:${i}`); if (p.length === B) p.exec(); } drain(p); } },
  ]);

  benchOp("GET", [
    { name: "Map<string,string>", run: (from, n) => { let hits = 0; for (let i = from; i < from + n; i++) if (map.get(`key:${idx[i]}`) !== undefined) hits++; if (hits < 0) console.log(hits); } },
    { name: "engine, Store.command", run: (from, n) => { let hits = 0; for (let i = from; i < from + n; i++) if (store.command("GET", `key:${idx[i]}`) !== null) hits++; if (hits < 0) console.log(hits); } },
    { name: `engine, pipeline (batch ${B})`, run: (from, n) => { const p = store.pipeline(); for (let i = from; i < from + n; i++) { p.get(`key:${idx[i]}`); if (p.length === B) p.exec(); } drain(p); } },
    {
      name: `engine, pipeline + values()`,
      run: (from, n) => {
        const p = store.pipeline();
        let hits = 0;
        for (let i = from; i < from + n; i++) {
          p.get(`key:${idx[i]}`);
          if (p.length === B) for (const v of p.exec().values()) if (v !== null) hits++;
        }
        drain(p);
        if (hits < 0) console.log(hits);
      },
    },
  ]);

  const counterMap = new Map<string, string>();
  for (let i = 0; i < counters; i++) counterMap.set(`ctr:${i}`, "0");
  pipelined(store, counters, (p, i) => p.set(`ctr:${i}`, "0"));
  benchOp("INCR", [
    {
      name: "Map<string,string>",
      run: (from, n) => {
        for (let i = from; i < from + n; i++) {
          const k = `ctr:${idx[i]! % counters}`;
          const v = counterMap.get(k);
          counterMap.set(k, String((v === undefined ? 0 : Number(v)) + 1));
        }
      },
    },
    { name: "engine, Store.command", run: (from, n) => { for (let i = from; i < from + n; i++) store.command("INCR", `ctr:${idx[i]! % counters}`); } },
    { name: `engine, pipeline (batch ${B})`, run: (from, n) => { const p = store.pipeline(); for (let i = from; i < from + n; i++) { p.incr(`ctr:${idx[i]! % counters}`); if (p.length === B) p.exec(); } drain(p); } },
  ]);
  store.close();
}

// ---- hashes -------------------------------------------------------------------------

async function benchHashes(): Promise<void> {
  if (!(await engineHas(["HSET", "probe", "f", "v"]))) {
    unavailable.push("HSET");
    return;
  }
  const { ops, rounds, hashKeys, hashFields } = CONFIG;
  console.error(`hashes: loading ${hashKeys} hashes of ${hashFields} fields...`);
  const hm = new Map<string, Map<string, string>>();
  const store = await openEngine();
  for (let k = 0; k < hashKeys; k++) {
    const h = new Map<string, string>();
    for (let f = 0; f < hashFields; f++) h.set(`f:${f}`, `v${f}`);
    hm.set(`h:${k}`, h);
  }
  pipelined(store, hashKeys * hashFields, (p, i) => p.add("HSET", `h:${i % hashKeys}`, `f:${Math.floor(i / hashKeys)}`, `v${i}`));
  const idx = randomIndices(ops * rounds * 3, hashKeys * hashFields, 0x85ebca6b);
  const keyOf = (x: number) => `h:${x % hashKeys}`;
  const fieldOf = (x: number) => `f:${Math.floor(x / hashKeys)}`;
  benchOp("HSET", [
    {
      name: "Map<string,Map<string,string>>",
      run: (from, n) => {
        for (let i = from; i < from + n; i++) {
          const x = idx[i]!;
          const k = keyOf(x);
          let h = hm.get(k);
          if (h === undefined) hm.set(k, (h = new Map()));
          h.set(fieldOf(x), `value:${i}`);
        }
      },
    },
    { name: "engine, Store.command", run: (from, n) => { for (let i = from; i < from + n; i++) store.command("HSET", keyOf(idx[i]!), fieldOf(idx[i]!), `value:${i}`); } },
    { name: `engine, pipeline (batch ${B})`, run: (from, n) => { const p = store.pipeline(); for (let i = from; i < from + n; i++) { p.add("HSET", keyOf(idx[i]!), fieldOf(idx[i]!), `value:${i}`); if (p.length === B) p.exec(); } drain(p); } },
  ]);
  store.close();
}

// ---- sorted sets ----------------------------------------------------------------------

async function benchZsets(): Promise<void> {
  const have = {
    ZADD: await engineHas(["ZADD", "probe", "1", "m"]),
    ZRANK: await engineHas(["ZRANK", "probe", "m"]),
    ZRANGE: await engineHas(["ZRANGE", "probe", "0", "-1"]),
  };
  for (const [name, ok] of Object.entries(have)) if (!ok) unavailable.push(name);
  if (!have.ZADD) return;
  const { zsetOps: ops, rounds, zsetMembers, rangeLength } = CONFIG;
  console.error(`zsets: loading a sorted set of ${zsetMembers} members...`);
  const zset = new JsSortedSet();
  const store = await openEngine();
  const scores = randomIndices(zsetMembers, 1_000_000_000, 0xc2b2ae35);
  for (let i = 0; i < zsetMembers; i++) zset.add(scores[i]!, `m:${i}`);
  pipelined(store, zsetMembers, (p, i) => p.add("ZADD", "z", `${scores[i]}`, `m:${i}`));
  const idx = randomIndices(ops * rounds * 3, zsetMembers, 0x27d4eb2f);
  const newScores = randomIndices(ops * rounds * 3, 1_000_000_000, 0x165667b1);

  benchOp("ZADD", [
    { name: "JS skiplist + Map", run: (from, n) => { for (let i = from; i < from + n; i++) zset.add(newScores[i]!, `m:${idx[i]}`); } },
    { name: "engine, Store.command", run: (from, n) => { for (let i = from; i < from + n; i++) store.command("ZADD", "z", `${newScores[i]}`, `m:${idx[i]}`); } },
    { name: `engine, pipeline (batch ${B})`, run: (from, n) => { const p = store.pipeline(); for (let i = from; i < from + n; i++) { p.add("ZADD", "z", `${newScores[i]}`, `m:${idx[i]}`); if (p.length === B) p.exec(); } drain(p); } },
  ], ops);
  if (have.ZRANK) {
    benchOp("ZRANK", [
      { name: "JS skiplist + Map", run: (from, n) => { let s = 0; for (let i = from; i < from + n; i++) s += zset.rank(`m:${idx[i]}`) ?? 0; if (s < 0) console.log(s); } },
      { name: "engine, Store.command", run: (from, n) => { for (let i = from; i < from + n; i++) store.command("ZRANK", "z", `m:${idx[i]}`); } },
      { name: `engine, pipeline (batch ${B})`, run: (from, n) => { const p = store.pipeline(); for (let i = from; i < from + n; i++) { p.add("ZRANK", "z", `m:${idx[i]}`); if (p.length === B) p.exec(); } drain(p); } },
    ], ops);
  }
  if (have.ZRANGE) {
    const startOf = (x: number) => x % Math.max(1, zsetMembers - rangeLength);
    benchOp("ZRANGE", [
      { name: "JS skiplist + Map", run: (from, n) => { let s = 0; for (let i = from; i < from + n; i++) s += zset.range(startOf(idx[i]!), startOf(idx[i]!) + rangeLength - 1).length; if (s < 0) console.log(s); } },
      { name: "engine, Store.command", run: (from, n) => { for (let i = from; i < from + n; i++) store.command("ZRANGE", "z", `${startOf(idx[i]!)}`, `${startOf(idx[i]!) + rangeLength - 1}`); } },
      { name: `engine, pipeline (batch ${B})`, run: (from, n) => { const p = store.pipeline(); for (let i = from; i < from + n; i++) { const start = startOf(idx[i]!); p.add("ZRANGE", "z", `${start}`, `${start + rangeLength - 1}`); if (p.length === B) p.exec(); } drain(p); } },
    ], ops);
  }
  store.close();
}

// ---- memory ---------------------------------------------------------------------------

function value16(i: number): string {
  return `v${String(i).padStart(15, "0")}`;
}

function vmRssBytes(pid: number | "self"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Writes the decimal digits of v at p, zero-padded to `width` (0: no padding); returns the new position. */
function putDigits(buf: Uint8Array, p: number, v: number, width: number): number {
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  const len = Math.max(digits, width);
  for (let i = len - 1; i >= 0; i--) {
    buf[p + i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return p + len;
}

function putAscii(buf: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
  return p;
}

/**
 * Loads SET key:<i> v<i, 15 digits> for i in [0, n): "resp" writes the
 * commands' RESP bytes into one reused buffer and hands them to
 * Engine.executeResp, making no JS garbage per key (what redis-cli --pipe
 * does for redis-server); "pipeline" goes through Store.pipeline with keys
 * and values built as template strings, as an application would.
 */
function loadKeys(store: Store, n: number, mode: "resp" | "pipeline"): void {
  if (mode === "pipeline") {
    pipelined(store, n, (p, i) => p.set(`key:${i}`, value16(i)));
    return;
  }
  const session = store.engine.newSession();
  const chunk = new Uint8Array(1000 * 64);
  for (let from = 0; from < n; from += 1000) {
    let p = 0;
    for (let i = from; i < Math.min(n, from + 1000); i++) {
      let keyDigits = 1;
      for (let x = i; x >= 10; x = Math.floor(x / 10)) keyDigits++;
      p = putAscii(chunk, p, "*3\r\n$3\r\nSET\r\n$");
      p = putDigits(chunk, p, 4 + keyDigits, 0);
      p = putAscii(chunk, p, "\r\nkey:");
      p = putDigits(chunk, p, i, 0);
      p = putAscii(chunk, p, "\r\n$16\r\nv");
      p = putDigits(chunk, p, i, 15);
      p = putAscii(chunk, p, "\r\n");
    }
    const r = store.engine.executeResp(session, chunk.subarray(0, p));
    if (r.errors > 0 || r.consumed !== p) throw new Error("load failed");
  }
}

/** In a fresh process: load N keys through the engine and report the growth of RSS and Wasm memory. */
async function memoryChild(n: number, mode: "resp" | "pipeline"): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const store = await openEngine();
  const memory = (store.engine.core.x.memory as WebAssembly.Memory);
  gc?.();
  const rss0 = vmRssBytes("self");
  const heap0 = process.memoryUsage().heapTotal;
  const wasm0 = memory.buffer.byteLength;
  const used0 = store.engine.usedMemory();
  loadKeys(store, n, mode);
  gc?.();
  await new Promise((r) => setTimeout(r, 200));
  gc?.();
  const dbsize = store.command("DBSIZE");
  const out = {
    keys: Number(dbsize),
    rssPerKey: (vmRssBytes("self") - rss0) / n,
    heapPerKey: (process.memoryUsage().heapTotal - heap0) / n,
    wasmPerKey: (memory.buffer.byteLength - wasm0) / n,
    usedPerKey: (store.engine.usedMemory() - used0) / n,
  };
  process.stdout.write(JSON.stringify(out));
}

async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error("no free port");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** redis-server's RSS growth per key for the same data, or null if redis-server is not installed. */
async function redisPerKey(n: number): Promise<{ rssPerKey: number; usedPerKey: number } | null> {
  if (spawnSync(REDIS_SERVER, ["--version"]).status !== 0) return null;
  const port = await freePort();
  const server = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const cli = (...args: string[]) => spawnSync(REDIS_CLI, ["-p", String(port), ...args], { encoding: "utf8" }).stdout.trim();
  try {
    for (let i = 0; i < 100 && cli("PING") !== "PONG"; i++) await sleep(50);
    const usedMemory = () => Number(/used_memory:(\d+)/.exec(cli("INFO", "memory"))![1]);
    const rss0 = vmRssBytes(server.pid!);
    const used0 = usedMemory();
    const chunks: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const k = `key:${i}`;
      chunks.push(Buffer.from(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$16\r\n${value16(i)}\r\n`));
    }
    const fill = spawnSync(REDIS_CLI, ["-p", String(port), "--pipe"], { input: Buffer.concat(chunks), encoding: "utf8" });
    if (fill.status !== 0) throw new Error(`redis-cli --pipe failed: ${fill.stderr}`);
    await sleep(1000);
    const dbsize = Number(cli("DBSIZE"));
    if (dbsize !== n) console.error(`redis-server: dbsize ${dbsize}, expected ${n}`);
    return { rssPerKey: (vmRssBytes(server.pid!) - rss0) / n, usedPerKey: (usedMemory() - used0) / n };
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
}

interface EngineMemory {
  keys: number;
  rssPerKey: number;
  heapPerKey: number;
  wasmPerKey: number;
  usedPerKey: number;
}

interface MemoryResult {
  /** Loaded from RESP bytes (Engine.executeResp), as redis-cli --pipe loads redis-server. */
  engine: EngineMemory;
  /** Loaded through Store.pipeline with template-string keys and values. */
  enginePipeline: EngineMemory;
  redis: { rssPerKey: number; usedPerKey: number } | null;
}

function engineMemory(n: number, mode: "resp" | "pipeline"): EngineMemory {
  const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--memory-child", String(n), mode], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as EngineMemory;
}

async function benchMemory(): Promise<MemoryResult | null> {
  const n = CONFIG.memKeys;
  if (n === 0) return null;
  console.error(`memory: ${n} keys through the engine in a fresh process, then redis-server...`);
  const engine = engineMemory(n, "resp");
  const enginePipeline = engineMemory(n, "pipeline");
  const redis = await redisPerKey(n);
  return { engine, enginePipeline, redis };
}

// ---- report --------------------------------------------------------------------------

function machine(): string {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  return `${os.availableParallelism()} CPUs (${model}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `Node ${process.versions.node}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`;
}

function printReport(memory: MemoryResult | null, seconds: number): void {
  const lines: string[] = [];
  lines.push(`Trireme engine benchmark, ${new Date().toISOString()}`);
  lines.push(machine());
  lines.push(`config: ${Object.entries(CONFIG).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  lines.push("rates are medians over rounds; ratio = median of (variant / baseline) per round; timed by thread CPU time");
  lines.push("");
  lines.push(`| op | variant | ops/s (CPU time) | ops/s (wall) | vs baseline |`);
  lines.push(`|---|---|---:|---:|---:|`);
  for (const r of rows) {
    lines.push(`| ${r.op} | ${r.variant} | ${fmtRate(r.cpuRate)} | ${fmtRate(r.wallRate)} | ${r.ratio.toFixed(2)}x |`);
  }
  for (const name of unavailable) lines.push(`| ${name} | engine | not available | | |`);
  if (memory !== null) {
    lines.push("");
    lines.push(`| memory, ${CONFIG.memKeys} keys, 16-byte values | bytes/key |`);
    lines.push(`|---|---:|`);
    lines.push(`| engine: RSS growth of a fresh Node process, loaded from RESP bytes (executeResp) | ${memory.engine.rssPerKey.toFixed(1)} |`);
    lines.push(`| - of which V8 heap growth | ${memory.engine.heapPerKey.toFixed(1)} |`);
    lines.push(`| engine: RSS growth, loaded through Store.pipeline with template strings | ${memory.enginePipeline.rssPerKey.toFixed(1)} |`);
    lines.push(`| - of which V8 heap growth (young generation grown by the strings' garbage; holds no keys) | ${memory.enginePipeline.heapPerKey.toFixed(1)} |`);
    lines.push(`| engine: Wasm memory growth (reserved; pages never touched are not in RSS) | ${memory.engine.wasmPerKey.toFixed(1)} |`);
    lines.push(`| engine: bytes in use (INFO-style, allocator blocks) | ${memory.engine.usedPerKey.toFixed(1)} |`);
    if (memory.redis !== null) {
      lines.push(`| redis-server: RSS growth | ${memory.redis.rssPerKey.toFixed(1)} |`);
      lines.push(`| redis-server: used_memory growth | ${memory.redis.usedPerKey.toFixed(1)} |`);
    } else {
      lines.push(`| redis-server | not available |`);
    }
  }
  const targets: Target[] = [
    { label: "batched GET >= 4x Map", op: "GET", variant: `engine, pipeline (batch ${B})`, ratio: 4, kind: "ops" },
    { label: "batched SET >= 1.5x Map", op: "SET", variant: `engine, pipeline (batch ${B})`, ratio: 1.5, kind: "ops" },
    { label: "batched ZADD >= 3x JS skiplist", op: "ZADD", variant: `engine, pipeline (batch ${B})`, ratio: 3, kind: "ops" },
    { label: "batched ZRANK >= 3x JS skiplist", op: "ZRANK", variant: `engine, pipeline (batch ${B})`, ratio: 3, kind: "ops" },
  ];
  for (const t of targets) {
    const row = rows.find((r) => r.op === t.op && r.variant === t.variant);
    targetResults.push({ label: t.label, actual: row?.ratio ?? null, wanted: t.ratio, kind: t.kind });
  }
  if (memory?.redis) {
    targetResults.push({ label: "RSS per key <= 0.8x redis-server (both loaded from RESP bytes)", actual: memory.engine.rssPerKey / memory.redis.rssPerKey, wanted: 0.8, kind: "memory" });
    targetResults.push({ label: "RSS per key <= 0.8x redis-server (engine loaded through Store.pipeline)", actual: memory.enginePipeline.rssPerKey / memory.redis.rssPerKey, wanted: 0.8, kind: "memory" });
  }
  lines.push("");
  lines.push(`| target | same-run ratio | |`);
  lines.push(`|---|---:|---|`);
  for (const t of targetResults) {
    const verdict = t.actual === null ? "not measured (command not available)"
      : (t.kind === "ops" ? t.actual >= t.wanted : t.actual <= t.wanted) ? "met" : "MISSED";
    lines.push(`| ${t.label} | ${t.actual === null ? "-" : `${t.actual.toFixed(2)}x`} | ${verdict} |`);
  }
  lines.push("");
  lines.push(`total ${seconds.toFixed(0)} s`);
  console.log(lines.join("\n"));
}

async function main(): Promise<void> {
  if (process.argv[2] === "--memory-child") {
    await memoryChild(Number(process.argv[3]), process.argv[4] === "pipeline" ? "pipeline" : "resp");
    return;
  }
  const start = performance.now();
  console.error(`${machine()}\nconfig: ${JSON.stringify(CONFIG)}`);
  if (SECTIONS.has("strings")) await benchStrings();
  if (SECTIONS.has("hashes")) await benchHashes();
  if (SECTIONS.has("zsets")) await benchZsets();
  const memory = SECTIONS.has("memory") ? await benchMemory() : null;
  printReport(memory, (performance.now() - start) / 1000);
}

await main();
