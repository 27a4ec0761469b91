// The Wasm core owns the data: loading a million keys through the engine
// grows Wasm linear memory, not the JavaScript heap. Measured after forced
// garbage collections (gc is exposed at run time through V8's flags, so this
// file needs no special vitest options).
import { describe, expect, it } from "vitest";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Engine } from "../../runtime/engine.ts";
import { utf8, text } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function settledHeapUsed(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const KEYS = 1_000_000;

describe("memory", () => {
  it(`keeps the JS heap flat while ${KEYS.toLocaleString("en")} keys go into Wasm memory`, async () => {
    const engine = await Engine.create(coreModule(), { seed: 7 });
    const session = engine.newSession();
    const set = utf8("SET");
    const value = utf8("0123456789abcdef");
    // Warm up the code paths (JIT, inline caches) before measuring.
    for (let i = 0; i < 20_000; i++) engine.execute(session, [set, utf8(`warm:${i}`), value]);
    engine.execute(session, [utf8("FLUSHALL")]);

    const heapBefore = settledHeapUsed();
    const wasmBefore = engine.core.x.mem_total();
    const usedBefore = engine.usedMemory();
    const started = performance.now();
    for (let i = 0; i < KEYS; i++) engine.execute(session, [set, utf8(`key:${i}`), value]);
    const elapsedMs = performance.now() - started;
    const heapAfter = settledHeapUsed();
    const wasmAfter = engine.core.x.mem_total();
    const usedAfter = engine.usedMemory();

    const heapPerKey = (heapAfter - heapBefore) / KEYS;
    const usedPerKey = (usedAfter - usedBefore) / KEYS;
    console.log(
      `${KEYS} SETs in ${elapsedMs.toFixed(0)} ms; JS heap ${(heapAfter - heapBefore) / 1024} KiB ` +
      `(${heapPerKey.toFixed(4)} B/key); Wasm memory +${((wasmAfter - wasmBefore) / 2 ** 20).toFixed(1)} MiB, ` +
      `in use ${usedPerKey.toFixed(1)} B/key`,
    );
    // Every key is in the core...
    expect(engine.execute(session, [utf8("DBSIZE")])).toBe(KEYS);
    expect(text(engine.execute(session, [utf8("GET"), utf8("key:999999")]) as Uint8Array)).toBe("0123456789abcdef");
    // ...which grew by at least the bytes of the keys and values...
    expect(wasmAfter - wasmBefore).toBeGreaterThan(KEYS * 30);
    expect(usedPerKey).toBeGreaterThan(30);
    // ...while the JS heap holds nothing per key.
    expect(heapPerKey).toBeLessThan(0.1);
  });
});
