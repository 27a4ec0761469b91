// The pause of taking an engine snapshot, and the time to restore one.
//
// A snapshot is a copy of the core's linear memory plus a CRC32C pass over it
// (runtime/snapshot.ts); the engine runs nothing else meanwhile, so the time
// `engine.snapshot()` takes is the pause clients see. This loads
// BENCH_SNAPSHOT_KEYS string keys (`key:<i>`, 16-byte values, as the memory
// benchmark), then takes BENCH_SNAPSHOT_ROUNDS snapshots and restores, and
// prints a Markdown report: the whole pause, and its two parts measured
// apart (the copy, the checksum), the restore, and the rebuild of the same
// image by another build of the core (the same code with another build hash,
// so it goes through the carried core's dump, docs/snapshots.md).
//
//   npx node bench/snapshot.ts                      (after npm run build)
//   BENCH_SNAPSHOT_KEYS=100000 npx node bench/snapshot.ts

import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { Engine } from "../runtime/engine.ts";
import { compileCore } from "../runtime/core.ts";
import { SNAPSHOT_HEADER_BYTES } from "../runtime/snapshot.ts";

const KEYS = Number(process.env.BENCH_SNAPSHOT_KEYS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_SNAPSHOT_ROUNDS ?? 5);
const WASM = new URL("../build/trireme-core.wasm", import.meta.url);

const encoder = new TextEncoder();
const wasm = readFileSync(WASM);
// Compiled from its bytes, so that images carry the core; the other build flips a byte of the build hash (the .wasm's last).
const module = await compileCore(wasm);
const otherBuildBytes = Uint8Array.from(wasm);
otherBuildBytes[otherBuildBytes.length - 1]! ^= 0xff;
const otherBuild = new WebAssembly.Module(otherBuildBytes);
const engine = await Engine.create(module, { seed: 1 });
const session = engine.newSession();
const set = encoder.encode("SET");

const loadStart = performance.now();
for (let i = 0; i < KEYS; i++) {
  engine.execute(session, [set, encoder.encode(`key:${i}`), encoder.encode(`v${String(i).padStart(15, "0")}`)]);
}
const loadMs = performance.now() - loadStart;
process.stderr.write(`loaded ${KEYS} keys in ${(loadMs / 1000).toFixed(1)} s\n`);

const x = engine.core.x;
const memoryBytes = x.memory.buffer.byteLength;
const pause: number[] = [];
const copy: number[] = [];
const checksum: number[] = [];
const restore: number[] = [];
const rebuild: number[] = [];
const backgroundPause: number[] = [];
const backgroundTotal: number[] = [];
let imageBytes = 0;

for (let round = 0; round < ROUNDS; round++) {
  let t = performance.now();
  const image = engine.snapshot(round);
  pause.push(performance.now() - t);
  imageBytes = image.length;

  t = performance.now();
  const alone = new Uint8Array(SNAPSHOT_HEADER_BYTES + memoryBytes);
  alone.set(new Uint8Array(x.memory.buffer), SNAPSHOT_HEADER_BYTES);
  copy.push(performance.now() - t);

  t = performance.now();
  x.crc32c(0, 0, memoryBytes);
  checksum.push(performance.now() - t);

  t = performance.now();
  const pending = engine.snapshotInBackground(round);
  backgroundPause.push(performance.now() - t);
  const sealed = await pending;
  backgroundTotal.push(performance.now() - t);
  if (sealed.length !== image.length) throw new Error("background image differs");

  t = performance.now();
  const restored = await Engine.fromSnapshot(module, image);
  restore.push(performance.now() - t);
  if (restored.execute(restored.newSession(), [encoder.encode("DBSIZE")]) !== KEYS) throw new Error("restored engine lost keys");

  t = performance.now();
  const rebuilt = await Engine.fromSnapshot(otherBuild, image);
  rebuild.push(performance.now() - t);
  if (!rebuilt.rebuiltFromOtherBuild || rebuilt.execute(rebuilt.newSession(), [encoder.encode("DBSIZE")]) !== KEYS) {
    throw new Error("the other build did not rebuild every key");
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS}: pause ${pause.at(-1)!.toFixed(1)} ms\n`);
}

function stats(samples: number[]): string {
  const sorted = samples.slice().sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `${median.toFixed(1)} | ${sorted[0]!.toFixed(1)} | ${sorted.at(-1)!.toFixed(1)}`;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
console.log(`Snapshot of ${KEYS.toLocaleString("en")} keys: linear memory ${mib(memoryBytes)}, in use ${mib(engine.usedMemory())}, image ${mib(imageBytes)}.`);
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${mib(totalmem())} RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`);
console.log("");
console.log(`| ms (${ROUNDS} rounds) | median | min | max |`);
console.log("|---|---|---|---|");
console.log(`| pause: \`engine.snapshot()\` (copy + CRC32C) | ${stats(pause)} |`);
console.log(`| of which the memory copy, alone | ${stats(copy)} |`);
console.log(`| of which the CRC32C pass, alone | ${stats(checksum)} |`);
console.log(`| pause: \`engine.snapshotInBackground()\` (copy; CRC32C later) | ${stats(backgroundPause)} |`);
console.log(`| until its image is sealed (CRC32C in 1 MiB pieces, one per event-loop turn) | ${stats(backgroundTotal)} |`);
console.log(`| restore: \`Engine.fromSnapshot()\` (instantiate, grow, copy, CRC32C) | ${stats(restore)} |`);
console.log(`| rebuild by another core build: \`Engine.fromSnapshot()\` (the carried core's dump, replayed as commands) | ${stats(rebuild)} |`);
