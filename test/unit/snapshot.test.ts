// Engine snapshots (runtime/snapshot.ts): an image is a copy of the core's
// memory, and restoring it gives the same engine — not just the same keys,
// but the same allocator, seeds and random sequence, so both engines go on
// identically. Images that are corrupt, truncated or from another build are
// refused.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Engine } from "../../runtime/engine.ts";
import { concatBytes, text, utf8 } from "../../runtime/bytes.ts";
import type { Session } from "../../runtime/context.ts";
import type { CoreSource } from "../../runtime/core.ts";
import { encodeCommand, encodeReply } from "../../runtime/resp.ts";
import {
  readSnapshotHeader, crc32cBytes, SnapshotError, SNAPSHOT_HEADER_BYTES, buildHashOf, restoreSnapshot,
} from "../../runtime/snapshot.ts";
import { coreModule, CORE_WASM_PATH } from "../helpers/core-bytes.ts";
import { dumpKeyspace } from "../helpers/keyspace-dump.ts";
import { templates, step, instantiate } from "../helpers/workload.ts";

const WASM_PAGE_BYTES = 65536;
const START_MS = 1_700_000_000_000;

// Commands whose replies depend on the RNG, the hash seed or the table
// layout: after a restore they must answer exactly as the original does.
const randomReads: string[][] = [
  ["SRANDMEMBER", "k", "-3"], ["SRANDMEMBER", "k", "2"], ["HRANDFIELD", "k", "-2", "WITHVALUES"],
  ["ZRANDMEMBER", "k", "-3", "WITHSCORES"], ["ZRANDMEMBER", "k"], ["RANDOMKEY"], ["SCAN", "0", "COUNT", "2"],
  ["SSCAN", "k", "0"], ["HSCAN", "k", "0"], ["SMEMBERS", "k"], ["HGETALL", "k"], ["KEYS", "*"],
];
const allTemplates = [...templates, ...randomReads];
const furtherStep = fc.record({
  template: fc.integer({ min: 0, max: allTemplates.length - 1 }),
  picks: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 8, maxLength: 8 }),
  db: fc.integer({ min: 0, max: 2 }),
  advanceMs: fc.constantFrom(0, 0, 5, 1500),
});

function memoryOf(engine: Engine): Uint8Array {
  return new Uint8Array(engine.core.x.memory.buffer);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function refusal(promise: Promise<unknown>): Promise<SnapshotError> {
  return promise.then(
    () => { throw new Error("the image was accepted"); },
    (error: unknown) => {
      expect(error).toBeInstanceOf(SnapshotError);
      return error as SnapshotError;
    },
  );
}

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** An engine over `core` that ran the workload `steps`, on a clock the caller moves on (`time.now`). */
async function engineAfter(core: CoreSource, steps: readonly Step[], seed: number): Promise<{ engine: Engine; time: { now: number }; clock: () => number }> {
  const time = { now: START_MS };
  const clock = () => time.now;
  const engine = await Engine.create(core, { clock, seed });
  const session = engine.newSession();
  for (const s of steps) {
    time.now += s.advanceMs;
    session.db = s.db;
    engine.execute(session, instantiate(templates[s.template]!, s.picks).map(utf8));
  }
  return { engine, time, clock };
}

/** An engine with a few keys of every type, some with a TTL, in two databases. */
async function sampleEngine(): Promise<Engine> {
  const engine = await Engine.create(coreModule(), { seed: 11, clock: () => START_MS });
  const s = engine.newSession();
  const run = (...args: string[]) => engine.execute(s, args.map(utf8));
  for (let i = 0; i < 300; i++) run("SET", `s:${i}`, `value ${i}`);
  run("RPUSH", "list", "a", "b", "c");
  run("SADD", "set", "x", "y");
  run("ZADD", "zset", "1", "one", "2.5", "two");
  run("HSET", "hash", "f", "v");
  run("PFADD", "hll", "a", "b");
  run("PEXPIREAT", "s:1", String(START_MS + 60_000));
  s.db = 1;
  run("SET", "in-db-1", "yes");
  return engine;
}

describe("CRC32C", () => {
  const check = utf8("123456789");

  it("the core's and the header's CRC32C give the standard check value 0xE3069283 for 123456789", async () => {
    const engine = await Engine.create(coreModule());
    const ptr = engine.core.stage1(check);
    expect(engine.core.x.crc32c(0, ptr, check.length) >>> 0).toBe(0xe3069283);
    expect(crc32cBytes(check)).toBe(0xe3069283);
    expect(crc32cBytes(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI), B.4: 32 bytes of zeros, and of 0xff.
    expect(crc32cBytes(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32cBytes(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });

  it("the core's slicing-by-8 CRC32C agrees with the bytewise one at every alignment and length, whole or in pieces", async () => {
    const engine = await Engine.create(coreModule());
    const core = engine.core;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 7 }), fc.nat(), async (data, shift, cut) => {
        const base = core.x.io_scratch(data.length + 8) + shift;
        core.u8().set(data, base);
        const whole = core.x.crc32c(0, base, data.length) >>> 0;
        expect(whole).toBe(crc32cBytes(data));
        const at = data.length === 0 ? 0 : cut % data.length;
        const first = core.x.crc32c(0, base, at);
        expect(core.x.crc32c(first, base + at, data.length - at) >>> 0).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });
});

describe("snapshot and restore", () => {
  it("a random workload over every family, restored into a fresh instance, dumps the same and goes on identically", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 120 }),
        fc.array(furtherStep, { minLength: 1, maxLength: 60 }),
        fc.integer(),
        async (steps, further, seed) => {
          const { engine: original, time, clock } = await engineAfter(coreModule(), steps, seed);
          const image = original.snapshot(steps.length);
          const restored = await Engine.fromSnapshot(coreModule(), image, { clock });

          // The same memory, byte for byte, and the same keyspace read through commands.
          expect(sameBytes(memoryOf(restored), memoryOf(original))).toBe(true);
          expect(dumpKeyspace(restored)).toBe(dumpKeyspace(original));

          // The same further commands, random ones included, get the same replies on both.
          const sessions = [original.newSession(), restored.newSession()];
          for (const s of further) {
            time.now += s.advanceMs;
            const args = instantiate(allTemplates[s.template]!, s.picks);
            const replies = [original, restored].map((engine, i) => {
              sessions[i]!.db = s.db;
              return encodeReply(engine.execute(sessions[i]!, args.map(utf8)), 2);
            });
            expect(Buffer.from(replies[1]!).toString("latin1"), args.join(" ")).toBe(Buffer.from(replies[0]!).toString("latin1"));
          }
          original.activeExpire(5);
          restored.activeExpire(5);
          expect(dumpKeyspace(restored)).toBe(dumpKeyspace(original));
          // The allocator came along: both placed every new block at the same address.
          expect(restored.usedMemory()).toBe(original.usedMemory());
          expect(sameBytes(memoryOf(restored), memoryOf(original))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("the header records the LSN, the database count and the memory it covers", async () => {
    const engine = await sampleEngine();
    const image = engine.snapshot(123_456_789_012);
    const header = readSnapshotHeader(image);
    expect(header.lsn).toBe(123_456_789_012);
    expect(header.databases).toBe(16);
    expect(header.memoryBytes).toBe(engine.core.x.memory.buffer.byteLength);
    expect(image.length).toBe(SNAPSHOT_HEADER_BYTES + header.memoryBytes);
    expect(header.buildHash).toEqual(buildHashOf(coreModule()));
    expect(header.memoryCrc).toBe(crc32cBytes(image.subarray(SNAPSHOT_HEADER_BYTES)));
    // Taking a snapshot leaves the engine's memory as it was.
    expect(sameBytes(image.subarray(SNAPSHOT_HEADER_BYTES), memoryOf(engine))).toBe(true);
  });

  it("a background snapshot is the image of the moment it was asked for, though the engine goes on writing", async () => {
    const engine = await sampleEngine();
    const s = engine.newSession();
    for (let i = 0; i < 20_000; i++) engine.execute(s, [utf8("SET"), utf8(`big:${i}`), utf8("x".repeat(i % 100))]);
    const expected = engine.snapshot(9);
    const pending = engine.snapshotInBackground(9);
    let writes = 0;
    let sealed = false;
    void pending.then(() => { sealed = true; });
    while (!sealed) {
      engine.execute(s, [utf8("SET"), utf8(`during:${writes++}`), utf8("y")]);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const image = await pending;
    expect(writes).toBeGreaterThan(1);
    expect(sameBytes(image, expected)).toBe(true);
    const restored = await Engine.fromSnapshot(coreModule(), image);
    expect(restored.execute(s, [utf8("EXISTS"), utf8("during:0")])).toBe(0);
    expect(restored.execute(s, [utf8("DBSIZE")])).toBe(engine.execute(s, [utf8("DBSIZE")]) as number - writes);
  });

  it("a background snapshot into a buffer made ready beforehand is the same image; one too small is not used", async () => {
    const engine = await sampleEngine();
    const s = engine.newSession();
    for (let i = 0; i < 5_000; i++) engine.execute(s, [utf8("SET"), utf8(`k:${i}`), utf8("v".repeat(i % 50))]);
    const allocated: number[] = [];
    const into = await engine.snapshotBuffer((bytes) => {
      allocated.push(bytes);
      return new Uint8Array(new SharedArrayBuffer(bytes));
    });
    // As large as an image of the memory now: the header, the memory, the core's own bytes.
    expect(allocated).toEqual([into.length]);
    expect(into.length).toBeGreaterThanOrEqual(SNAPSHOT_HEADER_BYTES + engine.core.x.memory.buffer.byteLength);
    const expected = engine.snapshot(21);
    const image = await engine.snapshotInBackground(21, into);
    expect(image.buffer).toBe(into.buffer);
    expect(image.byteOffset).toBe(0);
    expect(sameBytes(image, expected)).toBe(true);
    expect(readSnapshotHeader(image).lsn).toBe(21);
    const restored = await Engine.fromSnapshot(coreModule(), image);
    expect(restored.execute(s, [utf8("DBSIZE")])).toBe(engine.execute(s, [utf8("DBSIZE")]));

    const small = new Uint8Array(100);
    const other = await engine.snapshotInBackground(22, small);
    expect(other.buffer).not.toBe(small.buffer);
    expect(sameBytes(small, new Uint8Array(100))).toBe(true);
    expect(readSnapshotHeader(other).lsn).toBe(22);
  });

  it("a restored engine keeps the image's databases and seeds, and takes the host's clock and limits", async () => {
    const engine = await sampleEngine();
    const image = engine.snapshot(1);
    const clock = () => START_MS + 120_000;
    const restored = await Engine.fromSnapshot(coreModule(), image, { clock, seed: 999, maxmemory: 1 << 30 });
    expect(restored.databases).toBe(16);
    expect(restored.maxmemory).toBe(1 << 30);
    const s = restored.newSession();
    // s:1 expired at START_MS + 60 s by the restored engine's clock.
    expect(restored.execute(s, ["GET", "s:1"].map(utf8))).toBeNull();
    expect(restored.execute(s, ["GET", "s:2"].map(utf8))).toEqual(utf8("value 2"));
    s.db = 1;
    expect(restored.execute(s, ["GET", "in-db-1"].map(utf8))).toEqual(utf8("yes"));
    await expect(Engine.fromSnapshot(coreModule(), image, { databases: 4 })).rejects.toThrow(/16 databases, not the 4/);
    // A snapshot of a restored engine restores too.
    const again = await Engine.fromSnapshot(coreModule(), restored.snapshot(2));
    expect(dumpKeyspace(again)).toBe(dumpKeyspace(restored));
  });

  it("an image taken after heavy deletes restores with the same memory size and the same free space", async () => {
    const engine = await Engine.create(coreModule(), { seed: 3 });
    const s = engine.newSession();
    const KEYS = 200_000;
    for (let i = 0; i < KEYS; i++) engine.execute(s, [utf8("SET"), utf8(`key:${i}`), utf8(`value:${i}:${"x".repeat(i % 60)}`)]);
    for (let i = 0; i < KEYS; i++) if (i % 10 !== 0) engine.execute(s, [utf8("DEL"), utf8(`key:${i}`)]);
    engine.execute(s, [utf8("HSET"), utf8("h"), utf8("f"), utf8("v")]);
    const memoryBytes = engine.core.x.memory.buffer.byteLength;
    expect(engine.usedMemory()).toBeLessThan(memoryBytes / 4);

    const image = engine.snapshot(KEYS);
    expect(image.length).toBe(SNAPSHOT_HEADER_BYTES + memoryBytes);
    const restored = await Engine.fromSnapshot(coreModule(), image);
    expect(restored.core.x.memory.buffer.byteLength).toBe(memoryBytes);
    expect(restored.usedMemory()).toBe(engine.usedMemory());
    expect(restored.execute(s, [utf8("DBSIZE")])).toBe(KEYS / 10 + 1);
    expect(restored.execute(s, [utf8("GET"), utf8("key:1230")])).toEqual(utf8(`value:1230:${"x".repeat(1230 % 60)}`));

    // The freed blocks came along: refilling fits in the memory the image has, as in the original.
    for (const e of [engine, restored]) {
      for (let i = 0; i < KEYS; i++) if (i % 10 !== 0) e.execute(s, [utf8("SET"), utf8(`key:${i}`), utf8(`again:${i}`)]);
    }
    expect(restored.core.x.memory.buffer.byteLength).toBe(engine.core.x.memory.buffer.byteLength);
    expect(restored.core.x.memory.buffer.byteLength).toBe(memoryBytes);
    expect(restored.usedMemory()).toBe(engine.usedMemory());
  });
});

describe("images that are not restored", () => {
  it("a flipped byte anywhere in the memory is caught by the checksum", async () => {
    const image = (await sampleEngine()).snapshot(5);
    const memoryBytes = image.length - SNAPSHOT_HEADER_BYTES;
    for (const at of [0, 1024, 4096, memoryBytes >> 1, memoryBytes - 1]) {
      const bad = image.slice();
      bad[SNAPSHOT_HEADER_BYTES + at]! ^= 0x10;
      const error = await refusal(Engine.fromSnapshot(coreModule(), bad));
      expect(error.message).toMatch(/memory checksum mismatch/);
    }
  });

  it("a flipped byte in any header field is refused", async () => {
    const image = (await sampleEngine()).snapshot(5);
    for (let at = 0; at < SNAPSHOT_HEADER_BYTES; at++) {
      const bad = image.slice();
      bad[at]! ^= 0x01;
      const error = await refusal(Engine.fromSnapshot(coreModule(), bad));
      expect(error.message).toMatch(/magic|version|header|truncated|after its end|pages|checksum|LSN/);
    }
  });

  it("a truncated or extended image is refused", async () => {
    const image = (await sampleEngine()).snapshot(5);
    for (const length of [0, 7, SNAPSHOT_HEADER_BYTES - 1, SNAPSHOT_HEADER_BYTES, image.length - WASM_PAGE_BYTES, image.length - 1]) {
      const error = await refusal(Engine.fromSnapshot(coreModule(), image.slice(0, length)));
      expect(error.message).toMatch(/shorter than|truncated/);
    }
    const longer = new Uint8Array(image.length + 1);
    longer.set(image);
    expect((await refusal(Engine.fromSnapshot(coreModule(), longer))).message).toMatch(/after its end/);
  });

  it("an image from another build of the core is refused, and so is a core without a build hash", async () => {
    const image = (await sampleEngine()).snapshot(5);
    const wasm = readFileSync(CORE_WASM_PATH);
    // The build hash is the payload at the very end of the .wasm (scripts/build.ts).
    const otherBuild = Buffer.from(wasm);
    otherBuild[otherBuild.length - 1]! ^= 0xff;
    const error = await refusal(Engine.fromSnapshot(new WebAssembly.Module(otherBuild), image));
    expect(error.message).toMatch(/another build/);

    const sectionBytes = 1 + 1 + 1 + "trireme.build".length + 32;
    const unhashed = new WebAssembly.Module(wasm.subarray(0, wasm.length - sectionBytes));
    expect((await refusal(Engine.fromSnapshot(unhashed, image))).message).toMatch(/no build hash/);
    const engine = await Engine.create(unhashed);
    expect(() => engine.snapshot(1)).toThrow(/no build hash/);
  });

  it("an intact image whose memory holds no core state of this build is refused", async () => {
    const engine = await sampleEngine();
    const image = engine.snapshot(5);
    const bad = image.slice();
    // Break the state block's magic, then make both checksums right again.
    bad[SNAPSHOT_HEADER_BYTES + engine.core.x.state_ptr()]! ^= 0xff;
    const view = new DataView(bad.buffer);
    view.setUint32(72, crc32cBytes(bad.subarray(SNAPSHOT_HEADER_BYTES)), true);
    view.setUint32(92, crc32cBytes(bad.subarray(0, 92)), true);
    expect((await refusal(Engine.fromSnapshot(coreModule(), bad))).message).toMatch(/no consistent core state/);
  });

  it("a snapshot needs a non-negative integer LSN", async () => {
    const engine = await sampleEngine();
    expect(() => engine.snapshot(-1)).toThrow(RangeError);
    expect(() => engine.snapshot(1.5)).toThrow(RangeError);
  });
});

/** The core compiled from its bytes (so that images carry it), and another build of it: the same code with another build hash. */
function twoBuilds(): { bytes: Uint8Array<ArrayBuffer>; other: Uint8Array<ArrayBuffer> } {
  const bytes = new Uint8Array(readFileSync(CORE_WASM_PATH));
  // The build hash is the payload at the very end of the .wasm (scripts/build.ts).
  const other = bytes.slice();
  other[other.length - 1]! ^= 0xff;
  return { bytes, other };
}

describe("images from another build of the core", () => {
  it("carry the .wasm that took them, and another build rebuilds every family, TTLs and databases from it", async () => {
    const { bytes, other } = twoBuilds();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 150 }), fc.integer(), async (steps, seed) => {
        const { engine: original, time, clock } = await engineAfter(bytes, steps, seed);
        const image = original.snapshot(steps.length);
        const header = readSnapshotHeader(image);
        expect(header.coreBytes).toBe(bytes.length);
        expect(image.length).toBe(SNAPSHOT_HEADER_BYTES + header.memoryBytes + bytes.length);
        // The same build restores the memory as it is; the other one refuses it as memory...
        expect(sameBytes(memoryOf(await Engine.fromSnapshot(bytes, image, { clock })), memoryOf(original))).toBe(true);
        const otherModule = new WebAssembly.Module(other);
        expect((await refusal(restoreSnapshot(otherModule, image))).message).toMatch(/another build/);
        // ...and rebuilds the same keyspace, read through commands, from the old core's dump.
        const rebuilt = await Engine.fromSnapshot(otherModule, image, { clock });
        expect(buildHashOf(rebuilt.core.module)).toEqual(buildHashOf(otherModule));
        expect(dumpKeyspace(rebuilt)).toBe(dumpKeyspace(original));
        // Expiry goes on the same way on both.
        time.now += 2000;
        original.activeExpire(5);
        rebuilt.activeExpire(5);
        expect(dumpKeyspace(rebuilt)).toBe(dumpKeyspace(original));
      }),
      { numRuns: 40 },
    );
  });

  it("rebuilds large collections, binary keys and exact scores", async () => {
    const { bytes, other } = twoBuilds();
    const original = await Engine.create(bytes, { seed: 5, clock: () => START_MS });
    const s = original.newSession();
    const run = (...args: (string | Uint8Array)[]) => original.execute(s, args.map((a) => (typeof a === "string" ? utf8(a) : a)));
    const members = Array.from({ length: 5000 }, (_, i) => `m${i}`);
    run("RPUSH", "big-list", ...members);
    run("SADD", "big-set", ...members);
    run("HSET", "big-hash", ...members.flatMap((m, i) => [m, `v${i}`]));
    run("ZADD", "big-zset", ...members.flatMap((m, i) => [String(i / 7 + 1e-9 * i), m]));
    run("ZADD", "edges", "inf", "top", "-inf", "bottom", "-0", "negative-zero", "1e308", "huge", "5e-324", "tiny");
    run("SET", new Uint8Array([0, 255, 13, 10, 36]), new Uint8Array([0, 13, 10, 42, 1]));
    run("SET", "n", "12345");
    run("SET", "far", "x", "PXAT", String(START_MS + 10 ** 12));
    s.db = 15;
    run("SET", "last-db", "yes");
    const rebuilt = await Engine.fromSnapshot(new WebAssembly.Module(other), original.snapshot(9));
    expect(dumpKeyspace(rebuilt)).toBe(dumpKeyspace(original));
  });

  it("a corrupt carried core, or an image of another build without one, is refused", async () => {
    const { bytes, other } = twoBuilds();
    const image = (await Engine.create(bytes, { seed: 1 })).snapshot(3);
    const header = readSnapshotHeader(image);
    const bad = image.slice();
    bad[SNAPSHOT_HEADER_BYTES + header.memoryBytes + 100]! ^= 0x01;
    expect((await refusal(Engine.fromSnapshot(new WebAssembly.Module(other), bad))).message).toMatch(/core checksum mismatch/);
    // An image whose host handed over a compiled Module carries no core: the same build only.
    const bare = (await Engine.create(coreModule(), { seed: 1 })).snapshot(3);
    expect(readSnapshotHeader(bare).coreBytes).toBe(0);
    expect((await refusal(Engine.fromSnapshot(new WebAssembly.Module(other), bare))).message).toMatch(/does not carry its core/);
  });
});

describe("replacing a live engine's data with an image (a follower behind a trimmed log)", () => {
  it("takes the image's keyspace in place, keeps follower mode, and goes on writing, whether its memory was larger or smaller", async () => {
    let now = START_MS;
    const clock = () => now;
    const source = await Engine.create(coreModule(), { seed: 3, clock });
    const s = source.newSession();
    const run = (engine: Engine, session: Session, ...args: string[]) => engine.execute(session, args.map(utf8));
    for (let i = 0; i < 2000; i++) run(source, s, "SET", `k:${i}`, `v${i}`);
    run(source, s, "RPUSH", "list", "a", "b");
    run(source, s, "ZADD", "z", "1.25", "m");
    run(source, s, "SET", "soon", "x", "PX", "1000");
    for (const size of ["larger", "smaller"] as const) {
      const live = await Engine.create(coreModule(), { seed: 9, clock });
      const l = live.newSession();
      // Its batched executor has given the core its reply texts (the image's engine never did).
      expect(text(live.executeResp(l, encodeCommand(["SET", "warm", "1"].map(utf8))).replies)).toBe("+OK\r\n");
      live.following = true;
      // A larger live memory than the image's (many big values), or a smaller one (a fresh engine).
      if (size === "larger") for (let i = 0; i < 300; i++) run(live, l, "SET", `old:${i}`, "x".repeat(20_000));
      expect(live.core.x.memory.buffer.byteLength > source.core.x.memory.buffer.byteLength).toBe(size === "larger");
      const header = await live.replaceWithSnapshot(source.snapshot(42));
      expect(header?.lsn).toBe(42);
      expect(dumpKeyspace(live)).toBe(dumpKeyspace(source));
      expect(live.following).toBe(true);
      // Follower mode: a key past its expiry is hidden, not deleted.
      now += 2000;
      expect(run(live, l, "EXISTS", "soon")).toBe(0);
      now -= 2000;
      // It goes on: new writes allocate (beyond the image's memory too), and read back.
      for (let i = 0; i < 2000; i++) run(live, l, "SET", `new:${i}`, "y".repeat(i % 500));
      expect(text(run(live, l, "GET", "new:1999") as Uint8Array)).toBe("y".repeat(1999 % 500));
      expect(text(run(live, l, "GET", "k:7") as Uint8Array)).toBe("v7");
      expect(run(live, l, "DBSIZE")).toBe(2000 + 3 + 2000);
      // The batched executor still writes its replies right.
      live.following = false;
      const batch = [["SET", "b", "2"], ["INCR", "b"], ["GET", "b"], ["LPOP", "none"]].map((c) => encodeCommand(c.map(utf8)));
      expect(text(live.executeResp(l, concatBytes(batch)).replies)).toBe("+OK\r\n:3\r\n$1\r\n3\r\n$-1\r\n");
      live.following = true;
    }
  });

  it("leaves the engine as it was for a corrupt image, an image of another build, or when no longer wanted", async () => {
    const source = await sampleEngine();
    const live = await Engine.create(coreModule(), { seed: 4, clock: () => START_MS });
    const l = live.newSession();
    live.execute(l, ["SET", "mine", "1"].map(utf8));
    const before = dumpKeyspace(live);
    const image = source.snapshot(7);
    const corrupt = image.slice();
    corrupt[SNAPSHOT_HEADER_BYTES + 1000]! ^= 0x10;
    await refusal(live.replaceWithSnapshot(corrupt));
    expect(dumpKeyspace(live)).toBe(before);
    const { other } = twoBuilds();
    const otherEngine = await Engine.create(new WebAssembly.Module(other), { seed: 1 });
    await refusal(live.replaceWithSnapshot(otherEngine.snapshot(1)));
    expect(dumpKeyspace(live)).toBe(before);
    expect(await live.replaceWithSnapshot(image, () => false)).toBe(null);
    expect(dumpKeyspace(live)).toBe(before);
    expect(await live.replaceWithSnapshot(image, () => true)).not.toBe(null);
    expect(dumpKeyspace(live)).toBe(dumpKeyspace(source));
  });
});
