// Recovery (runtime/log/recovery.ts) rebuilds the keyspace a primary wrote:
// a workload runs on an engine whose effects go through the commit gate to
// three in-memory log stores; a second replicator is elected over the same
// stores and replays the log into a fresh engine, which must hold exactly
// the same keys, types, values and expiry times. The workload mixes
// databases, commands the core runs natively and ones the engine runs,
// expiring keys, and records large enough to span several read batches.
// Runs of native writes hand their effects to the gate straight from the
// core's effect region: their records must replay the same way, and a read
// of a key a pending run wrote must wait for it while other reads do not.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { MemoryLogBackend } from "../../runtime/log/memory-backend.ts";
import { InProcessStore } from "../../runtime/log/in-process-store.ts";
import { Replicator } from "../../runtime/log/replicator.ts";
import { CommitGate } from "../../runtime/log/gate.ts";
import { recoverEngine } from "../../runtime/log/recovery.ts";
import { Persistence } from "../../runtime/log/persistence.ts";
import type { Session } from "../../runtime/context.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { dumpKeyspace } from "../helpers/keyspace-dump.ts";
import { encodeCommand } from "../../runtime/resp.ts";
import { concatBytes } from "../../runtime/bytes.ts";

const crc32c = await loadCrc32c(coreModule());
const te = new TextEncoder();
const replicators: Replicator[] = [];

afterEach(async () => {
  for (const r of replicators.splice(0)) await r.close();
});

function replicator(stores: InProcessStore[], candidate: string): Replicator {
  const r = new Replicator({
    stores: stores.map((s) => ({ name: s.backend.region, api: s })),
    crc32c, candidate, quorum: 2, commitTimeoutMs: 5000,
  });
  replicators.push(r);
  return r;
}

/** Three in-memory stores, a primary elected on them, and an engine behind its commit gate. */
async function gatedPrimary(region: string, candidate: string) {
  const stores = Array.from({ length: 3 }, (_, i) => new InProcessStore(new MemoryLogBackend({ region: `${region}${i}`, crc32c })));
  const primary = replicator(stores, candidate);
  await primary.start();
  const engine = await Engine.create(coreModule());
  const gate = new CommitGate(engine, primary);
  const session: Session = { db: 0, protocol: 2 };
  return { stores, primary, engine, gate, session };
}

/** A native run through the gate, as the RESP server runs one; all of `input` must run. Returns the LSN its replies wait for. */
function nativeRun(gate: CommitGate, session: Session, input: Uint8Array): number {
  const run = gate.runNative(session, input);
  expect(run).not.toBeNull();
  expect(run!.consumed).toBe(input.length);
  expect(run!.handedBack).toBe(false);
  return run!.lsn;
}

/** Commands as the RESP bytes a client sends. */
function resp(...commands: string[][]): Uint8Array {
  return concatBytes(commands.map((c) => encodeCommand(c.map((a) => te.encode(a)))));
}

describe("recovery", () => {
  it("replays the log into the keyspace the primary had", async () => {
    const { stores, primary: first, engine, gate, session } = await gatedPrimary("m", "first");
    let last = 0;
    const run = (...args: string[]) => {
      const bytes = args.map((a) => te.encode(a));
      engine.execute(session, bytes);
      last = Math.max(last, gate.afterCommand(bytes, session.db));
    };
    const big = "x".repeat(20_000);
    for (let i = 0; i < 3000; i++) {
      session.db = i % 3;
      run("SET", `s:${i % 500}`, `v${i}`);
      run("INCR", `n:${i % 50}`);
      if (i % 7 === 0) run("ZADD", `z:${i % 11}`, String(i), `m${i % 97}`);
      if (i % 5 === 0) run("HSET", `h:${i % 13}`, `f${i % 17}`, `v${i}`);
      if (i % 3 === 0) run("LPUSH", `l:${i % 9}`, `e${i}`);
      if (i % 11 === 0) run("DEL", `s:${(i * 7) % 500}`);
      if (i % 13 === 0) run("PEXPIREAT", `s:${i % 500}`, String(Date.now() + 3_600_000 + i));
      if (i % 10 === 0) run("APPEND", `big:${i % 40}`, big); // records large enough to need several 4 MiB reads
      if (i % 500 === 0) run("FLUSHDB");
    }
    expect(await first.waitCommitted(last, 10_000)).toBe(true);
    const expected = dumpKeyspace(engine);
    await first.close();

    const second = replicator(stores, "second");
    await second.start();
    const recovered = await recoverEngine(second, { crc32c, fresh: () => Engine.create(coreModule()), restore: (image) => Engine.fromSnapshot(coreModule(), image) });
    expect(recovered.snapshotLsn).toBe(0);
    expect(recovered.replayed).toBe(second.lastLsn);
    expect(dumpKeyspace(recovered.engine)).toBe(expected);
  }, 60_000);
});

describe("the commit gate and durable native runs", () => {
  it("a run's record replays into the same keyspace; reads, on their own or in a native run, wait only for the keys written before them", async () => {
    const { stores, primary, engine, gate, session } = await gatedPrimary("g", "primary");
    let last = 0;
    for (let i = 0; i < 200; i++) {
      session.db = i % 3;
      const input = resp(
        ["SET", `s:${i % 50}`, `v${i}`], ["INCR", `n:${i % 7}`], ["MSET", `a:${i % 11}`, "1", `b:${i % 13}`, String(i)],
        ["ZADD", `z:${i % 5}`, String(i), `m${i % 17}`], ["RPUSH", `l:${i % 3}`, `e${i}`], ["LPOP", `l:${(i + 1) % 3}`],
      );
      last = Math.max(last, nativeRun(gate, session, input));
    }
    expect(await primary.waitCommitted(last, 10_000)).toBe(true);

    // With two stores down nothing commits: the next run's keys wait for its record, other keys do not.
    stores[1]!.setDown(true);
    stores[2]!.setDown(true);
    session.db = 4;
    const lsn = nativeRun(gate, session, resp(["SET", "pending", "x"], ["MSET", "p1", "1", "p2", "2"], ["INCR", "counter"]));
    // The run's effects wait in the open record for the turn's end (or the next seal).
    expect(lsn).toBe(primary.lastLsn + 1);
    expect(primary.currentLsn()).toBe(lsn);
    const waitFor = (db: number, ...args: string[]) => gate.afterCommand(args.map((a) => te.encode(a)), db);
    for (const key of ["pending", "p1", "p2", "counter"]) expect(waitFor(4, "GET", key), key).toBe(lsn);
    expect(waitFor(4, "GET", "untouched")).toBe(0);
    expect(waitFor(0, "GET", "pending")).toBe(0); // the same name in another database
    expect(waitFor(4, "GET", "s:1")).toBe(0);
    // Native runs of reads wait for the pending writes of the keys they name, and only those.
    const readRun = (db: number, ...commands: string[][]) => {
      session.db = db;
      return nativeRun(gate, session, resp(...commands));
    };
    expect(readRun(4, ["GET", "untouched"], ["MGET", "s:1", "nothing"], ["ZRANGE", "z:1", "0", "-1"], ["EXISTS", "x", "y"])).toBe(0);
    expect(readRun(4, ["GET", "untouched"], ["GET", "pending"])).toBe(lsn);
    expect(readRun(4, ["MGET", "untouched", "p2"])).toBe(lsn);
    expect(readRun(4, ["EXISTS", "a", "b", "counter"], ["ZRANK", "z", "m"])).toBe(lsn);
    expect(readRun(0, ["GET", "pending"], ["ZREVRANK", "counter", "m"])).toBe(0);
    expect(primary.lastLsn).toBe(lsn);
    // A run that reads and writes waits for its own record, the newest.
    expect(readRun(4, ["GET", "untouched"], ["SET", "w", "1"])).toBe(lsn + 1);
    stores[1]!.setDown(false);
    stores[2]!.setDown(false);
    expect(await primary.waitCommitted(lsn + 1, 10_000)).toBe(true);
    expect(waitFor(4, "GET", "pending")).toBe(0);
    expect(readRun(4, ["GET", "pending"], ["MGET", "w", "p1"])).toBe(0);
    const expected = dumpKeyspace(engine);
    await primary.close();

    const next = replicator(stores, "next");
    await next.start();
    const recovered = await recoverEngine(next, { crc32c, fresh: () => Engine.create(coreModule()), restore: (image) => Engine.fromSnapshot(coreModule(), image) });
    expect(dumpKeyspace(recovered.engine)).toBe(expected);
  }, 60_000);

  it("native runs of one turn share a record, sealed at the turn's end; a command on the per-command path seals it and waits for it only if it wrote", async () => {
    const { primary, engine, gate, session } = await gatedPrimary("t", "primary");
    const sealedBefore = primary.lastLsn;
    const first = nativeRun(gate, session, resp(["SET", "a", "1"], ["INCR", "n"]));
    const second = nativeRun(gate, session, resp(["SET", "b", "2"]));
    expect(nativeRun(gate, session, resp(["GET", "untouched"]))).toBe(0);
    expect([first, second]).toEqual([sealedBefore + 1, sealedBefore + 1]);
    expect(primary.lastLsn).toBe(sealedBefore);
    await new Promise((resolve) => setImmediate(resolve));
    expect(primary.lastLsn).toBe(sealedBefore + 1);
    expect(await primary.waitCommitted(first, 10_000)).toBe(true);

    // A read on the per-command path seals the open record but does not wait for another key's write in it.
    const third = nativeRun(gate, session, resp(["SET", "c", "3"]));
    expect(gate.afterCommand([te.encode("GET"), te.encode("elsewhere")], 0)).toBe(0);
    expect(primary.lastLsn).toBe(third);
    expect(gate.afterCommand([te.encode("GET"), te.encode("c")], 0)).toBe(third);
    // A write on the per-command path joins the open record and waits for it.
    const fourth = nativeRun(gate, session, resp(["SET", "d", "4"]));
    engine.execute(session, [te.encode("SET"), te.encode("e"), te.encode("5"), te.encode("EX"), te.encode("100")]);
    expect(gate.afterCommand([te.encode("SET"), te.encode("e"), te.encode("5"), te.encode("EX"), te.encode("100")], 0)).toBe(fourth);
    expect(primary.lastLsn).toBe(fourth);
    // A snapshot covers what the engine holds: the open record is sealed before the image is taken.
    const fifth = nativeRun(gate, session, resp(["SET", "f", "6"]));
    expect(primary.lastLsn).toBe(fifth - 1);
    const persistence = new Persistence(engine, primary, { mode: "quorum", snapshotLsn: 0 });
    const saved = await persistence.save();
    expect(saved.ok, saved.message).toBe(true);
    expect(primary.lastLsn).toBe(fifth);
    expect(persistence.lastSnapshotLsn).toBe(fifth);
    await primary.close();
  });

  it("BGSAVE makes its image's buffer ready first and covers the log when it copies; a host stopping meanwhile takes no image", async () => {
    const { primary, engine, gate, session } = await gatedPrimary("b", "primary");
    nativeRun(gate, session, resp(["SET", "a", "1"]));
    const allocated: number[] = [];
    const persistence = new Persistence(engine, primary, {
      mode: "quorum", snapshotLsn: 0, allocateImage: (bytes) => {
        allocated.push(bytes);
        return new Uint8Array(new SharedArrayBuffer(bytes));
      },
    });
    expect(persistence.bgsave()).toBe(true);
    expect(persistence.bgsave()).toBe(false);
    // Written after the BGSAVE, before its copy: in the image.
    const later = nativeRun(gate, session, resp(["SET", "b", "2"]));
    await vi.waitFor(() => expect(persistence.inProgress).toBe(false), { timeout: 10_000 });
    expect(persistence.lastStatus, persistence.lastError).toBe("ok");
    expect(persistence.lastSnapshotLsn).toBeGreaterThanOrEqual(later);
    expect(allocated).toHaveLength(1);
    const restored = await Engine.fromSnapshot(coreModule(), (await primary.newestSnapshot())!.data);
    expect(restored.execute(session, [te.encode("GET"), te.encode("b")])).toEqual(te.encode("2"));

    expect(persistence.bgsave()).toBe(true);
    persistence.close();
    const sealed = primary.lastLsn;
    await vi.waitFor(() => expect(persistence.inProgress).toBe(false), { timeout: 10_000 });
    expect(persistence.lastStatus).toBe("err");
    expect(persistence.lastError).toMatch(/stopping/);
    expect(primary.lastLsn).toBe(sealed);
    await primary.close();
  });
});
