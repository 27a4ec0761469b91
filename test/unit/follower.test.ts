// The follower (runtime/log/follower.ts) against scripted tail streams: it
// applies records only up to the commit LSN heard on the tail it reads, and
// when it moves to another store it drops what it received and did not apply
// (that store may hold a different uncommitted suffix below the same LSN).
// Its engine is in follower mode: a replica that lags keeps a key past its
// old expiry for the primary's records (test/unit/follower-expiry.test.ts).
// The real processes are exercised in test/durability/failover.test.ts.
import { describe, expect, it } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { encodeFrames } from "../../runtime/log/frame.ts";
import { encodeEffects } from "../../runtime/log/payload.ts";
import { LogFollower, type TailSource } from "../../runtime/log/follower.ts";
import type { TailEvent } from "../../runtime/log/protocol.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { START_MS } from "./engine-fixture.ts";

const crc32c = await loadCrc32c(coreModule());
const te = new TextEncoder();
const td = new TextDecoder();

type Handlers = Parameters<TailSource["tail"]>[1];

/** A store whose tail stream the test drives by hand. */
class ScriptedTail implements TailSource {
  readonly url: string;
  handlers: Handlers | null = null;
  from = 0;
  constructor(url: string) {
    this.url = url;
  }
  tail(fromLsn: number, handlers: Handlers): { close(): void } {
    this.from = fromLsn;
    this.handlers = handlers;
    queueMicrotask(() => handlers.onOpen?.());
    return { close: () => { this.handlers = null; } };
  }
  records(first: number, epoch: number, values: string[]): void {
    this.handlers!.onFrames(encodeFrames(values.map((v, i) => ({
      lsn: first + i, epoch, payload: encodeEffects([{ db: 0, args: [te.encode("SET"), te.encode(`k${first + i}`), te.encode(v)] }]),
    })), crc32c));
  }
  /** Records `first`, `first + 1`... holding these effects, one record each. */
  effects(first: number, epoch: number, records: EffectRecord[]): void {
    this.handlers!.onFrames(encodeFrames(records.map((r, i) => ({
      lsn: first + i, epoch, payload: encodeEffects([r]),
    })), crc32c));
  }
  event(event: TailEvent): void {
    this.handlers!.onEvent!(event);
  }
}

async function follower(tails: ScriptedTail[]) {
  const engine = await Engine.create(coreModule());
  const session = engine.newSession();
  const get = (key: string) => {
    const reply = engine.execute(session, [te.encode("GET"), te.encode(key)]);
    return reply instanceof Uint8Array ? td.decode(reply) : null;
  };
  const f = new LogFollower({
    stores: tails.map((t) => ({ name: t.url, api: t })), crc32c, engine, appliedLsn: 0, silenceMs: 60_000,
  });
  f.start();
  await new Promise((r) => setImmediate(r));
  return { f, get };
}

describe("follower", () => {
  it("applies records only up to the commit LSN heard on its tail, and drops what a truncation removes", async () => {
    const a = new ScriptedTail("a");
    const { f, get } = await follower([a, new ScriptedTail("b")]);
    a.records(1, 1, ["one", "two", "three"]);
    expect(f.received).toBe(3);
    expect(f.applied).toBe(0);
    expect(get("k1")).toBe(null);
    a.event({ type: "commit", lsn: 2 });
    expect(f.applied).toBe(2);
    expect([get("k1"), get("k2"), get("k3")]).toEqual(["one", "two", null]);
    expect(f.lagRecords).toBe(0);
    // Record 3 was never committed: a newer primary cuts it and writes another.
    a.event({ type: "truncated", afterLsn: 2 });
    a.records(3, 2, ["THREE"]);
    a.event({ type: "commit", lsn: 3 });
    expect(get("k3")).toBe("THREE");
    f.stop();
  });

  it("moving to another store forgets the commit LSN and the records not applied", async () => {
    const a = new ScriptedTail("a");
    const b = new ScriptedTail("b");
    const { f, get } = await follower([a, b]);
    a.records(1, 1, ["one", "two"]);
    a.event({ type: "commit", lsn: 1 });
    expect(f.applied).toBe(1);
    // Store a goes away; the follower moves to b after a pause, from after what it applied.
    a.handlers!.onClose!(1006, "");
    for (let i = 0; i < 100 && b.handlers === null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.from).toBe(2);
    expect(f.received).toBe(1);
    // b holds a different, uncommitted record 2 (of an older epoch): not applied on the
    // strength of the commit LSN heard from a...
    b.records(2, 1, ["stale"]);
    expect(get("k2")).toBe(null);
    // ... nor later: b is cut and given the committed log; only b's commit LSN counts.
    b.event({ type: "truncated", afterLsn: 1 });
    b.records(2, 3, ["two-prime"]);
    b.event({ type: "commit", lsn: 2 });
    expect(get("k2")).toBe("two-prime");
    expect(f.applied).toBe(2);
    f.stop();
  });

  it("a truncation below what it applied stops it: the log it followed lost a record it showed", async () => {
    const a = new ScriptedTail("a");
    const engine = await Engine.create(coreModule());
    let fatal = "";
    const f = new LogFollower({
      stores: [{ name: "a", api: a }], crc32c, engine, appliedLsn: 0, silenceMs: 60_000, onFatal: (m) => { fatal = m; },
    });
    f.start();
    await new Promise((r) => setImmediate(r));
    a.records(1, 1, ["one", "two"]);
    a.event({ type: "commit", lsn: 2 });
    a.event({ type: "truncated", afterLsn: 1 });
    expect(fatal).toMatch(/truncated its log after LSN 1, below the 2 records applied/);
  });

  it("a lagging replica keeps a key the primary extended in time, and drops it with the primary's DEL", async () => {
    // The primary: k expires at +1 s; at +0.9 s it is given 10 s more; at +11 s a read finds it expired.
    let primaryNow = START_MS;
    const primary = await Engine.create(coreModule(), { clock: () => primaryNow });
    const records: EffectRecord[] = [];
    primary.onEffect = (r) => records.push(r);
    const onPrimary = primary.newSession();
    primary.execute(onPrimary, [te.encode("SET"), te.encode("k"), te.encode("v"), te.encode("PX"), te.encode("1000")]);
    primaryNow += 900;
    primary.execute(onPrimary, [te.encode("PEXPIRE"), te.encode("k"), te.encode("10000")]);
    primaryNow += 10_100;
    expect(primary.execute(onPrimary, [te.encode("GET"), te.encode("k")])).toBe(null);
    expect(records.map((r) => r.args.map((a) => td.decode(a)).join(" "))).toEqual([
      `SET k v PXAT ${START_MS + 1000}`, `PEXPIREAT k ${START_MS + 10_900}`, "DEL k",
    ]);

    // The replica, with its own clock, hears of each record late.
    let now = START_MS + 100;
    const engine = await Engine.create(coreModule(), { clock: () => now });
    const a = new ScriptedTail("a");
    const f = new LogFollower({ stores: [{ name: "a", api: a }], crc32c, engine, appliedLsn: 0, silenceMs: 60_000 });
    expect(engine.following).toBe(true);
    f.start();
    await new Promise((r) => setImmediate(r));
    const session = engine.newSession();
    const read = (...args: string[]) => {
      const reply = engine.execute(session, args.map((s) => te.encode(s)));
      return reply instanceof Uint8Array ? td.decode(reply) : reply;
    };
    a.effects(1, 1, [records[0]!]);
    a.event({ type: "commit", lsn: 1 });
    expect(read("GET", "k")).toBe("v");
    // Past the first expiry, the extension not yet applied: clients see no key, the replica keeps it.
    now = START_MS + 1500;
    a.effects(2, 1, [records[1]!]);
    expect([read("GET", "k"), read("EXISTS", "k"), read("TTL", "k"), read("DBSIZE")]).toEqual([null, 0, -2, 1]);
    a.event({ type: "commit", lsn: 2 });
    expect(f.applied).toBe(2);
    expect([read("GET", "k"), read("PTTL", "k")]).toEqual(["v", 9400]);
    // Expired on the primary too: hidden until its DEL is applied.
    now = START_MS + 11_500;
    expect([read("GET", "k"), read("DBSIZE")]).toEqual([null, 1]);
    a.effects(3, 1, [records[2]!]);
    a.event({ type: "commit", lsn: 3 });
    expect(read("DBSIZE")).toBe(0);
    expect(engine.stats.expiredKeys).toBe(0);
    f.stop();
  });
});
