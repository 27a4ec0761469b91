// Recovery (runtime/log/recovery.ts) rebuilds the keyspace a primary wrote:
// a workload runs on an engine whose effects go through the commit gate to
// three in-memory log stores; a second replicator is elected over the same
// stores and replays the log into a fresh engine, which must hold exactly
// the same keys, types, values and expiry times. The workload mixes
// databases, commands the core runs natively and ones the engine runs,
// expiring keys, and records large enough to span several read batches.
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { MemoryLogBackend } from "../../runtime/log/memory-backend.ts";
import { InProcessStore } from "../../runtime/log/in-process-store.ts";
import { Replicator } from "../../runtime/log/replicator.ts";
import { CommitGate } from "../../runtime/log/gate.ts";
import { recoverEngine } from "../../runtime/log/recovery.ts";
import type { Session } from "../../runtime/context.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { dumpKeyspace } from "../helpers/keyspace-dump.ts";

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

describe("recovery", () => {
  it("replays the log into the keyspace the primary had", async () => {
    const stores = Array.from({ length: 3 }, (_, i) => new InProcessStore(new MemoryLogBackend({ region: `m${i}`, crc32c })));
    const first = replicator(stores, "first");
    await first.start();
    const engine = await Engine.create(coreModule());
    const gate = new CommitGate(engine, first);
    const session: Session = { db: 0, protocol: 2 };
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
