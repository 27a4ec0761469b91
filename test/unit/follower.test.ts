// The follower (runtime/log/follower.ts) against scripted tail streams: it
// applies records only up to the commit LSN heard on the tail it reads, and
// when it moves to another store it drops what it received and did not apply
// (that store may hold a different uncommitted suffix below the same LSN).
// The real processes are exercised in test/durability/failover.test.ts.
import { describe, expect, it } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { encodeFrames } from "../../runtime/log/frame.ts";
import { encodeEffects } from "../../runtime/log/payload.ts";
import { LogFollower, type TailSource } from "../../runtime/log/follower.ts";
import type { TailEvent } from "../../runtime/log/protocol.ts";
import { coreModule } from "../helpers/core-bytes.ts";

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
});
