// The commit gate with durable native runs: a run of writes the core executes
// hands its effects to the gate straight from the core's effect region. Its
// record must replay into the same keyspace, and a read of a key the run
// wrote must wait for the run's record while reads of other keys do not.
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { MemoryLogBackend } from "../../runtime/log/memory-backend.ts";
import { InProcessStore } from "../../runtime/log/in-process-store.ts";
import { Replicator } from "../../runtime/log/replicator.ts";
import { CommitGate } from "../../runtime/log/gate.ts";
import { recoverEngine } from "../../runtime/log/recovery.ts";
import { encodeCommand } from "../../runtime/resp.ts";
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
  const r = new Replicator({ stores: stores.map((s) => ({ name: s.backend.region, api: s })), crc32c, candidate, quorum: 2, commitTimeoutMs: 5000 });
  replicators.push(r);
  return r;
}

const resp = (...commands: string[][]) => {
  const parts = commands.map((c) => encodeCommand(c.map((a) => te.encode(a))));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe("the commit gate and durable native runs", () => {
  it("a run's record replays into the same keyspace, and reads wait only for the keys the run wrote", async () => {
    const stores = Array.from({ length: 3 }, (_, i) => new InProcessStore(new MemoryLogBackend({ region: `g${i}`, crc32c })));
    const primary = replicator(stores, "primary");
    await primary.start();
    const engine = await Engine.create(coreModule());
    const gate = new CommitGate(engine, primary);
    const session: Session = { db: 0, protocol: 2 };
    let last = 0;
    for (let i = 0; i < 200; i++) {
      session.db = i % 3;
      const input = resp(
        ["SET", `s:${i % 50}`, `v${i}`], ["INCR", `n:${i % 7}`], ["MSET", `a:${i % 11}`, "1", `b:${i % 13}`, String(i)],
        ["ZADD", `z:${i % 5}`, String(i), `m${i % 17}`], ["RPUSH", `l:${i % 3}`, `e${i}`], ["LPOP", `l:${(i + 1) % 3}`],
      );
      const r = engine.executeNativePrefix(session, input);
      expect(r.consumed).toBe(input.length);
      last = Math.max(last, gate.afterNativeWrites());
    }
    expect(await primary.waitCommitted(last, 10_000)).toBe(true);

    // With two stores down nothing commits: the next run's keys wait for its record, other keys do not.
    stores[1]!.setDown(true);
    stores[2]!.setDown(true);
    session.db = 4;
    engine.executeNativePrefix(session, resp(["SET", "pending", "x"], ["MSET", "p1", "1", "p2", "2"], ["INCR", "counter"]));
    const lsn = gate.afterNativeWrites();
    expect(lsn).toBe(primary.lastLsn);
    const waitFor = (db: number, ...args: string[]) => gate.afterCommand(args.map((a) => te.encode(a)), db);
    for (const key of ["pending", "p1", "p2", "counter"]) expect(waitFor(4, "GET", key), key).toBe(lsn);
    expect(waitFor(4, "GET", "untouched")).toBe(0);
    expect(waitFor(0, "GET", "pending")).toBe(0); // the same name in another database
    expect(waitFor(4, "GET", "s:1")).toBe(0);
    stores[1]!.setDown(false);
    stores[2]!.setDown(false);
    expect(await primary.waitCommitted(lsn, 10_000)).toBe(true);
    expect(waitFor(4, "GET", "pending")).toBe(0);
    const expected = dumpKeyspace(engine);
    await primary.close();

    const next = replicator(stores, "next");
    await next.start();
    const recovered = await recoverEngine(next, { crc32c, fresh: () => Engine.create(coreModule()), restore: (image) => Engine.fromSnapshot(coreModule(), image) });
    expect(dumpKeyspace(recovered.engine)).toBe(expected);
  }, 60_000);
});
