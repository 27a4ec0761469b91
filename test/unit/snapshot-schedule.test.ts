// Scheduled snapshots (runtime/log/persistence.ts): Redis's `save` rules
// ("after N seconds if at least M changes") and snapshot-log-bytes, over an
// engine and a replicator with three in-memory log stores; the time is the
// test's. What INFO persistence says is checked along the way.
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { MemoryLogBackend } from "../../runtime/log/memory-backend.ts";
import { InProcessStore } from "../../runtime/log/in-process-store.ts";
import { Replicator } from "../../runtime/log/replicator.ts";
import { CommitGate } from "../../runtime/log/gate.ts";
import { Persistence, type SnapshotPolicy } from "../../runtime/log/persistence.ts";
import { coreModule } from "../helpers/core-bytes.ts";

const crc32c = await loadCrc32c(coreModule());
const te = new TextEncoder();
const START_MS = 1_700_000_000_000;
const replicators: Replicator[] = [];

afterEach(async () => {
  for (const r of replicators.splice(0)) await r.close();
});

interface Primary {
  engine: Engine;
  gate: CommitGate;
  replicator: Replicator;
  persistence: Persistence;
  stores: InProcessStore[];
  clock: { now: number };
  set(key: string, value: string): Promise<void>;
  info(): Map<string, string>;
}

async function primary(): Promise<Primary> {
  const stores = ["a", "b", "c"].map((region) => new InProcessStore(new MemoryLogBackend({ region, crc32c })));
  const replicator = new Replicator({
    stores: stores.map((s) => ({ name: s.backend.region, api: s })),
    crc32c, candidate: "p", quorum: 2, commitTimeoutMs: 1000, requestTimeoutMs: 1000,
  });
  replicators.push(replicator);
  await replicator.start();
  const clock = { now: START_MS };
  const engine = await Engine.create(coreModule(), { seed: 1, clock: () => clock.now });
  const gate = new CommitGate(engine, replicator);
  const persistence = new Persistence(engine, replicator, { mode: "quorum", snapshotLsn: 0, now: () => clock.now });
  const session = engine.newSession();
  return {
    engine, gate, replicator, persistence, stores, clock,
    async set(key, value) {
      const args = [te.encode("SET"), te.encode(key), te.encode(value)];
      engine.execute(session, args);
      const lsn = gate.afterCommand(args, 0);
      expect(await replicator.waitCommitted(lsn, 2000)).toBe(true);
    },
    info() {
      return new Map(persistence.infoLines().map((l) => l.split(":", 2) as [string, string]));
    },
  };
}

const until = async (check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

const policy = (save: string, logBytes = 0): SnapshotPolicy => ({ save: () => save, logBytes: () => logBytes });

describe("scheduled snapshots", () => {
  it("follow Redis's save rules: after N seconds if at least M changes", async () => {
    const p = await primary();
    const rules = policy("60 3 10 100");
    await p.set("k1", "v");
    await p.set("k2", "v");
    p.clock.now += 61_000;
    // 3 records since the start (the epoch record and two SETs), but "60 3" needs more than 60 s and 3 changes: it has both.
    expect(p.persistence.changesSinceSave()).toBe(3);
    p.clock.now -= 2000; // 59 s: not yet
    expect(p.persistence.scheduledSave(rules)).toBeNull();
    p.clock.now += 2000;
    expect(p.persistence.scheduledSave(rules)).toBe("3 changes in 60 seconds");
    expect(p.info().get("rdb_bgsave_in_progress")).toBe("1");
    expect(p.persistence.scheduledSave(rules)).toBeNull(); // one at a time
    await until(() => !p.persistence.inProgress);
    const info = p.info();
    expect(info.get("rdb_last_bgsave_status")).toBe("ok");
    expect(info.get("rdb_changes_since_last_save")).toBe("0");
    expect(info.get("rdb_saves")).toBe("1");
    expect(info.get("rdb_last_save_time")).toBe(String(Math.floor(p.clock.now / 1000)));
    expect(info.get("rdb_last_snapshot_lsn")).toBe(String(p.replicator.lastLsn));
    for (const s of p.stores) expect((await s.backend.status()).newestSnapshotLsn).toBe(p.replicator.lastLsn);
    // Nothing changed since: nothing to save, however long it waits.
    p.clock.now += 3600_000;
    expect(p.persistence.scheduledSave(rules)).toBeNull();
    // A change counts from the last save's time.
    await p.set("k3", "v");
    expect(p.persistence.scheduledSave(policy("60 1"))).toBe("1 changes in 60 seconds");
    await until(() => !p.persistence.inProgress);
    expect(p.info().get("rdb_saves")).toBe("2");
  });

  it("start one when the log since the last snapshot reaches snapshot-log-bytes", async () => {
    const p = await primary();
    const rules = policy("", 4096);
    for (let i = 0; i < 10; i++) await p.set(`k${i}`, "x".repeat(100));
    expect(p.persistence.logBytesSinceSave()).toBeLessThan(4096);
    expect(p.persistence.scheduledSave(rules)).toBeNull();
    for (let i = 0; i < 40; i++) await p.set(`k${i}`, "x".repeat(100));
    expect(p.persistence.scheduledSave(rules)).toMatch(/bytes of log since the last snapshot/);
    await until(() => !p.persistence.inProgress);
    expect(p.persistence.logBytesSinceSave()).toBe(0);
    expect(Number(p.info().get("log_bytes_since_last_save"))).toBe(0);
    // The next one waits for at least the snapshot's own size of log (an image is larger than 4 KiB).
    const image = Number(p.info().get("rdb_last_snapshot_bytes"));
    expect(image).toBeGreaterThan(4096);
    for (let i = 0; i < 50; i++) await p.set(`j${i}`, "x".repeat(100));
    expect(p.persistence.logBytesSinceSave()).toBeGreaterThan(4096);
    expect(p.persistence.logBytesSinceSave()).toBeLessThan(image);
    expect(p.persistence.scheduledSave(rules)).toBeNull();
  });

  it("after a failed snapshot, report it and wait 5 s before trying again", async () => {
    const p = await primary();
    await p.set("k", "v");
    for (const s of p.stores) s.setDown(true);
    const rules = policy("1 1");
    p.clock.now += 2000;
    expect(p.persistence.scheduledSave(rules)).not.toBeNull();
    await until(() => !p.persistence.inProgress);
    expect(p.info().get("rdb_last_bgsave_status")).toBe("err");
    expect(p.info().get("rdb_changes_since_last_save")).toBe("2");
    for (const s of p.stores) s.setDown(false);
    await until(() => p.replicator.stores().every((s) => s.state === "streaming"));
    p.clock.now += 4000;
    expect(p.persistence.scheduledSave(rules)).toBeNull();
    p.clock.now += 1500;
    expect(p.persistence.scheduledSave(rules)).not.toBeNull();
    await until(() => !p.persistence.inProgress);
    expect(p.info().get("rdb_last_bgsave_status")).toBe("ok");
  });
});
