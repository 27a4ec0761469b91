// Network faults between the primary and its log stores: a TCP proxy
// (test/helpers/fault-proxy.ts) in front of each store, and the primary
// reaching the stores only through them. Under a write and read load the
// proxies delay, drop and partition stores, one at a time, then two at a
// time, then heal. Every client operation is recorded with its outcome, and
// the end state is checked against that history: no acknowledged write is
// lost, a write refused while two stores were cut is nowhere, writes stop
// with NOTDURABLE while two are cut and resume after the heal, and no read
// returned a value that is not in the final log (no read of lost data), nor
// older than a write acknowledged before the read was sent.
import { createServer, createConnection, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  Cluster, Conn, ConnectionLost, valuesOf, eventually, persistenceInfo, setHistoryIn, setsIn, sleep, text,
} from "./cluster.ts";
import { FaultProxy } from "../helpers/fault-proxy.ts";

const TIMEOUT_MS = 1500;
const WRITERS = 3;
const READERS = 2;

let cluster: Cluster | null = null;
const proxies: FaultProxy[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const f of cleanups.splice(0)) f();
  for (const p of proxies.splice(0)) await p.close();
  await cluster?.close();
  cluster = null;
});

const REFUSED = /^NOTDURABLE writes are refused/;

/**
 * One client operation. `sent` and `done` are ticks of one counter shared by
 * every client (a logical clock: an operation whose `done` is below another's
 * `sent` finished before the other began).
 */
interface Op {
  kind: "set" | "get";
  key: string;
  /** Written, or read (null: the key did not exist). */
  value: string | null;
  outcome: "ok" | "refused" | "unknown" | "error";
  reply: string;
  sent: number;
  done: number;
}

/**
 * Writers: writer c sets its own keys k:c:i (each once) and its register
 * reg:c (to i), in order. Readers: GET of a random writer's register or of one
 * of its keys already sent.
 */
class MixedLoad {
  readonly ops: Op[] = [];
  private tick = 0;
  private running = true;
  private readonly done: Promise<void>[] = [];
  /** Per writer, the last i whose SET was sent. */
  private readonly lastSent: number[] = [];

  constructor(port: number) {
    for (let c = 0; c < WRITERS; c++) {
      this.lastSent.push(-1);
      this.done.push(this.writer(port, c));
    }
    for (let r = 0; r < READERS; r++) this.done.push(this.reader(port));
  }

  get now(): number {
    return this.tick;
  }

  count(filter: (op: Op) => boolean): number {
    let n = 0;
    for (const op of this.ops) if (filter(op)) n++;
    return n;
  }

  private async run(conn: Conn, kind: Op["kind"], key: string, value: string | null): Promise<Op> {
    const op: Op = { kind, key, value, outcome: "unknown", reply: "", sent: ++this.tick, done: 0 };
    this.ops.push(op);
    try {
      const reply = kind === "set" ? await conn.send("SET", key, value!) : await conn.send("GET", key);
      op.done = ++this.tick;
      op.reply = text(reply) ?? "(nil)";
      if (reply.type === "error") op.outcome = kind === "set" && REFUSED.test(reply.value) ? "refused" : kind === "set" ? "unknown" : "error";
      else {
        op.outcome = "ok";
        if (kind === "get") op.value = text(reply);
      }
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      op.done = ++this.tick;
      op.reply = "connection lost";
      this.running = false;
    }
    // An error comes back at once while writes are refused: do not spin on it.
    if (op.outcome !== "ok") await sleep(20);
    return op;
  }

  private async writer(port: number, c: number): Promise<void> {
    const conn = await Conn.connect(port);
    for (let i = 0; this.running; i++) {
      this.lastSent[c] = i;
      await this.run(conn, "set", `k:${c}:${i}`, String(i));
      if (!this.running) break;
      await this.run(conn, "set", `reg:${c}`, String(i));
    }
    conn.close();
  }

  private async reader(port: number): Promise<void> {
    const conn = await Conn.connect(port);
    while (this.running) {
      const c = Math.floor(Math.random() * WRITERS);
      const last = this.lastSent[c]!;
      const key = Math.random() < 0.5 || last < 0 ? `reg:${c}` : `k:${c}:${Math.max(0, last - Math.floor(Math.random() * 20))}`;
      await this.run(conn, "get", key, null);
    }
    conn.close();
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.done);
  }
}

/**
 * Checks a load's recorded operations against the final log's SET history
 * and the server's final state: acknowledged writes are there, refused ones
 * nowhere, every value read is in the history (no read of lost data), and
 * no read is older than a write of its key acknowledged before it was sent.
 */
function checkHistory(load: MixedLoad, history: Map<string, string[]>, state: Map<string, string | null>): void {
  const writes = load.ops.filter((op) => op.kind === "set");
  const reads = load.ops.filter((op) => op.kind === "get");
  expect(reads.filter((op) => op.outcome === "ok" && op.value !== null).length).toBeGreaterThan(100);
  // Writes: acknowledged ones are in the log (and each k:c:i is final); refused ones are nowhere.
  for (const op of writes) {
    const values = history.get(op.key) ?? [];
    if (op.outcome === "ok") {
      expect(values, `acknowledged SET ${op.key} ${op.value}`).toContain(op.value);
      if (op.key.startsWith("k:")) expect(state.get(op.key), op.key).toBe(op.value);
    } else if (op.outcome === "refused") {
      expect(values, `refused SET ${op.key} ${op.value}`).not.toContain(op.value);
    } else {
      expect(op.reply, `SET ${op.key}`).toMatch(/^NOTDURABLE|^connection lost$/);
    }
  }
  // Each register ends at its last acknowledged value or a later one that was tried.
  for (let c = 0; c < WRITERS; c++) {
    const mine = writes.filter((op) => op.key === `reg:${c}`);
    const lastAcked = Math.max(...mine.filter((op) => op.outcome === "ok").map((op) => Number(op.value)));
    expect(Number(state.get(`reg:${c}`))).toBeGreaterThanOrEqual(lastAcked);
  }
  // Reads: every value read is in the final log's history (no read of lost data), and
  // none is older than a write of that key acknowledged before the read was sent.
  const writesOf = new Map<string, Op[]>();
  for (const w of writes) {
    if (w.outcome !== "ok") continue;
    let list = writesOf.get(w.key);
    if (list === undefined) writesOf.set(w.key, list = []);
    list.push(w);
  }
  for (const read of reads) {
    if (read.outcome !== "ok") {
      expect(read.reply, `GET ${read.key}`).toMatch(/^NOTDURABLE|^connection lost$/);
      continue;
    }
    if (read.value !== null) expect(history.get(read.key), `GET ${read.key} answered ${read.value}`).toContain(read.value);
    const ackedBefore = (writesOf.get(read.key) ?? []).filter((w) => w.done < read.sent);
    if (ackedBefore.length === 0) continue;
    expect(read.value, `GET ${read.key} after its write was acknowledged`).not.toBe(null);
    const newest = Math.max(...ackedBefore.map((w) => Number(w.value)));
    expect(Number(read.value), `GET ${read.key}`).toBeGreaterThanOrEqual(newest);
  }
}

describe("network faults between the primary and its log stores", () => {
  it("the fault proxy forwards, delays, drops, partitions and heals", async () => {
    // An echo server behind the proxy.
    const echo = createServer((s) => {
      s.on("error", () => {}); // the proxy resets it on drop()
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    cleanups.push(() => echo.close());
    const proxy = await FaultProxy.start((echo.address() as { port: number }).port);
    proxies.push(proxy);
    const connect = () => new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ host: "127.0.0.1", port: proxy.port });
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
    const received = (s: Socket) => {
      let got = "";
      s.on("data", (d: Buffer) => { got += d.toString(); });
      return () => got;
    };
    const a = await connect();
    const gotA = received(a);
    a.write("one");
    expect(await eventually(async () => gotA() === "one", 5000, 10)).toBe(true);
    // Partitioned: nothing comes back on an open connection, nor on a new one...
    proxy.partition();
    a.write("two");
    const b = await connect();
    const gotB = received(b);
    b.write("three");
    await sleep(300);
    expect(gotA()).toBe("one");
    expect(gotB()).toBe("");
    // ...until it heals: then what was held back flows, in order.
    proxy.heal();
    expect(await eventually(async () => gotA() === "onetwo" && gotB() === "three", 5000, 10)).toBe(true);
    // Delayed: it arrives no sooner than the delay after it was sent (a late timer only
    // makes it later), the order kept.
    proxy.delay(200);
    const sentAt = Date.now();
    a.write("four");
    a.write("five");
    expect(await eventually(async () => gotA() === "onetwofourfive", 5000, 10)).toBe(true);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(200);
    proxy.heal();
    // Dropped: the connections are reset; new ones work.
    const closed = [a, b].map((s) => new Promise<void>((r) => s.once("close", () => r())));
    a.on("error", () => {});
    b.on("error", () => {});
    proxy.drop();
    await Promise.all(closed);
    const c = await connect();
    const gotC = received(c);
    c.write("six");
    expect(await eventually(async () => gotC() === "six", 5000, 10)).toBe(true);
    // Refusing: open and new connections are reset, as if the target were down.
    const cClosed = new Promise<void>((r) => c.once("close", () => r()));
    c.on("error", () => {});
    proxy.refuse();
    await cClosed;
    const refusedGot = await new Promise<string>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port: proxy.port });
      let got = "";
      s.on("data", (data: Buffer) => { got += data.toString(); });
      s.on("connect", () => s.write("lost"));
      s.on("error", () => {}); // reset while connecting, or just after
      s.on("close", () => resolve(got));
    });
    expect(refusedGot).toBe("");
    proxy.heal();
    const d = await connect();
    const gotD = received(d);
    d.write("seven");
    expect(await eventually(async () => gotD() === "seven", 5000, 10)).toBe(true);
    d.destroy();
    expect(proxy.connectionsAccepted).toBe(4);
  });

  it("delays, drops and partitions of stores lose no acknowledged write and show no read of lost data", async () => {
    cluster = await Cluster.start(3);
    for (const store of cluster.stores) proxies.push(await FaultProxy.start(store.port));
    cluster.primaryUrls = proxies.map((p) => p.url);
    const primary = await cluster.startPrimary(["--durability-timeout", String(TIMEOUT_MS)]);
    const control = await Conn.connect(primary.port);
    const info = () => persistenceInfo(control);
    const load = new MixedLoad(primary.port);
    const acked = () => load.count((op) => op.kind === "set" && op.outcome === "ok");
    const writesGoOn = async (more: number) => {
      const from = acked();
      return eventually(async () => acked() >= from + more, 30_000);
    };
    expect(await writesGoOn(50)).toBe(true);

    // One store slow, another a little slow: writes go on.
    proxies[0]!.delay(150);
    proxies[1]!.delay(40);
    expect(await writesGoOn(100)).toBe(true);
    proxies[0]!.heal();
    proxies[1]!.heal();

    // One store's connections dropped, again and again: it reconnects, writes go on.
    for (let i = 0; i < 3; i++) {
      const accepted = proxies[0]!.connectionsAccepted;
      proxies[0]!.drop();
      expect(await eventually(async () => proxies[0]!.connectionsAccepted > accepted
        && (await info()).get("log_stores_connected") === "3", 20_000)).toBe(true);
      expect(await writesGoOn(30)).toBe(true);
    }
    expect(primary.output()).toMatch(/log: store 127\.0\.0\.1:\d+ disconnected: append stream closed/);

    // Two stores' connections dropped at once, again and again (flapping links): each
    // time both reconnect, and writes go on (those caught in a drop may get NOTDURABLE).
    for (let i = 0; i < 6; i++) {
      proxies[1 + (i % 2)]!.drop();
      proxies[i % 3]!.drop();
      await sleep(50 + 100 * (i % 3));
    }
    expect(await eventually(async () => {
      const i = await info();
      return i.get("log_stores_connected") === "3" && i.get("log_state") === "serving";
    }, 20_000)).toBe(true);
    expect(await writesGoOn(100)).toBe(true);

    // One store partitioned, longer than the timeout: writes go on at the other two.
    proxies[1]!.partition();
    await sleep(TIMEOUT_MS + 500);
    expect(await writesGoOn(100)).toBe(true);
    expect((await info()).get("log_state")).toBe("serving");
    proxies[1]!.heal();
    let logEnd = Number((await info()).get("log_last_lsn"));
    expect(await eventually(async () => {
      const s = await cluster!.client(1).status();
      return "lastLsn" in s && s.lastLsn >= logEnd;
    }, 20_000)).toBe(true);

    // Two stores partitioned: the primary stalls, writes stop with NOTDURABLE...
    proxies[0]!.partition();
    proxies[2]!.partition();
    expect(await eventually(async () => (await info()).get("log_state") === "stalled", 20_000)).toBe(true);
    const stalledAt = load.now;
    expect(text(await control.send("SET", "during", "partition"))).toMatch(REFUSED);
    expect(await eventually(async () => load.count((op) => op.sent > stalledAt && op.outcome === "refused") >= 20, 20_000)).toBe(true);
    // ...and stay stopped when one of the two cut stores' connections are dropped too.
    const refusedBeforeDrop = load.count((op) => op.outcome === "refused");
    proxies[0]!.drop();
    expect(await eventually(async () => load.count((op) => op.outcome === "refused") >= refusedBeforeDrop + 20, 20_000)).toBe(true);
    expect((await info()).get("log_state")).toBe("stalled");
    const healedAt = load.now;
    // Nothing was acknowledged after the stall was seen and before the heal.
    expect(load.count((op) => op.kind === "set" && op.outcome === "ok" && op.sent > stalledAt && op.done < healedAt)).toBe(0);

    // Heal: writes resume, every store comes back and catches up.
    for (const p of proxies) p.heal();
    expect(await eventually(async () => text(await control.send("SET", "after", "heal")) === "OK", 30_000, 200)).toBe(true);
    expect(await writesGoOn(100)).toBe(true);
    await load.stop();
    expect(await eventually(async () => {
      const i = await info();
      return i.get("log_state") === "serving" && i.get("log_stores_connected") === "3";
    }, 20_000)).toBe(true);
    logEnd = Number((await info()).get("log_last_lsn"));
    // Every store carried traffic through its proxy, and store 0 was reconnected.
    for (const p of proxies) expect(p.bytesForwarded).toBeGreaterThan(0);
    expect(proxies[0]!.connectionsAccepted).toBeGreaterThan(3);

    // The final history: the stores agree on one log, and it is the server's state.
    const logs = await cluster.convergedLogs(logEnd);
    const history = setHistoryIn(logs[0]!);
    const finalInLog = setsIn(logs[0]!);
    const keys = [...new Set(load.ops.map((op) => op.key))];
    const state = await valuesOf(control, [...keys, "during", "after"]);
    for (const k of keys) expect(state.get(k), k).toBe(finalInLog.get(k) ?? null);
    expect(state.get("during")).toBe(null);
    expect(state.get("after")).toBe("heal");

    expect(load.count((op) => op.outcome === "refused")).toBeGreaterThan(20);
    for (const op of load.ops) expect(op.reply, `${op.kind} ${op.key}`).not.toBe("connection lost");
    checkHistory(load, history, state);
    control.close();
  });

  it("a primary cut off from two stores dies: its pending writes are lost, and no read showed them", async () => {
    cluster = await Cluster.start(3);
    for (const store of cluster.stores) proxies.push(await FaultProxy.start(store.port));
    cluster.primaryUrls = proxies.map((p) => p.url);
    const first = await cluster.startPrimary(["--durability-timeout", String(TIMEOUT_MS)]);
    let control = await Conn.connect(first.port);
    const load = new MixedLoad(first.port);
    const acked = () => load.count((op) => op.kind === "set" && op.outcome === "ok");
    expect(await eventually(async () => acked() >= 100, 30_000)).toBe(true);
    // Cut off from stores 0 and 2: a record sealed from now on reaches store 1 only.
    // (Records sent just before may have reached 0 and 2 with their acks held back.)
    proxies[0]!.partition();
    proxies[2]!.partition();
    const marker = control.send("SET", "marker", "cut-off");
    expect(await eventually(async () => (await persistenceInfo(control)).get("log_state") === "stalled", 20_000)).toBe(true);
    const markerReply = text(await marker)!;
    expect(markerReply).toMatch(/^NOTDURABLE/);
    // It ran (unless the stall came first, on a very slow machine): its outcome is unknown,
    // and a read of its key is refused rather than showing what may be lost.
    const markerRan = !REFUSED.test(markerReply);
    if (markerRan) expect(text(await control.send("GET", "marker"))).toMatch(/^NOTDURABLE the reply depends on a write/);
    const stalledAt = load.now;
    expect(await eventually(async () => load.count((op) => op.sent > stalledAt && op.outcome === "refused") >= 10, 20_000)).toBe(true);
    control.close();
    // The primary dies, and so does the only store holding its pending records; the
    // next primary is elected by the two others, whose logs end at the commit point.
    // (What it sent into the partition dies with the connections: otherwise a healed
    // partition delivers it, the next primary adopts it, and nothing is lost.)
    await cluster.kill9Primary();
    await load.stop();
    await cluster.kill9Store(1);
    proxies[0]!.drop();
    proxies[2]!.drop();
    for (const p of proxies) p.heal();
    const second = await cluster.startPrimary(["--durability-timeout", String(TIMEOUT_MS)]);
    await cluster.startStore(1);
    if (markerRan) expect(await eventually(async () =>
      /log: store \S+: removed \d+ record\(s\) after \d+ that are not in the log of epoch 2/.test(second.output()), 20_000), second.output()).toBe(true);
    control = await Conn.connect(second.port);
    const logEnd = Number((await persistenceInfo(control)).get("log_last_lsn"));
    const logs = await cluster.convergedLogs(logEnd);
    const history = setHistoryIn(logs[0]!);
    const keys = [...new Set(load.ops.map((op) => op.key))];
    const state = await valuesOf(control, keys);
    const finalInLog = setsIn(logs[0]!);
    for (const k of keys) expect(state.get(k), k).toBe(finalInLog.get(k) ?? null);
    // The marker is lost (or was never written); reads of keys with pending writes were
    // refused while they were pending, and no read anywhere showed a lost value.
    expect(history.get("marker")).toBe(undefined);
    expect(await valuesOf(control, ["marker"])).toEqual(new Map([["marker", null]]));
    expect(load.count((op) => op.kind === "get" && op.outcome === "error" && /^NOTDURABLE/.test(op.reply))).toBeGreaterThan(0);
    checkHistory(load, history, state);
    expect(text(await control.send("SET", "after", "failover"))).toBe("OK");
    control.close();
  });

  it("a primary cut off from two stores that elect another shows no data once its lease lapsed, then is fenced; no read showed lost data", async () => {
    cluster = await Cluster.start(3);
    // proxies[0..2]: the first primary's paths to the stores; proxies[3..5]: the second's.
    for (let round = 0; round < 2; round++) {
      for (const store of cluster.stores) proxies.push(await FaultProxy.start(store.port));
    }
    cluster.primaryUrls = proxies.slice(0, 3).map((p) => p.url);
    const first = await cluster.startPrimary(["--durability-timeout", String(TIMEOUT_MS)]);
    const firstControl = await Conn.connect(first.port);
    const load = new MixedLoad(first.port);
    const acked = () => load.count((op) => op.kind === "set" && op.outcome === "ok");
    expect(await eventually(async () => acked() >= 100, 30_000)).toBe(true);

    // The split: the first primary reaches store 1 only; the second cannot reach store 1.
    proxies[0]!.partition();
    proxies[2]!.partition();
    proxies[4]!.refuse();
    const marker = firstControl.send("SET", "marker", "cut-off");
    expect(await eventually(async () => (await persistenceInfo(firstControl)).get("log_state") === "stalled", 20_000)).toBe(true);
    const markerReply = text(await marker)!;
    expect(markerReply).toMatch(/^NOTDURABLE/);
    const markerRan = !REFUSED.test(markerReply);
    const second = await cluster.startAnotherPrimary(["--durability-timeout", String(TIMEOUT_MS)], proxies.slice(3).map((p) => p.url));
    const secondControl = await Conn.connect(second.port);
    expect((await persistenceInfo(secondControl)).get("log_epoch")).toBe("2");
    // The second primary writes every register; the first does not know.
    for (let c = 0; c < WRITERS; c++) expect(text(await secondControl.send("SET", `reg:${c}`, "1000000"))).toBe("OK");
    const overwrittenAt = load.now;
    const firstReadsSince = () => load.ops.filter((op) => op.kind === "get" && op.sent > overwrittenAt);
    // Its lease lapsed before the second one was elected (stores 0 and 2 refused the second
    // until then): it shows no data, only errors.
    expect(await eventually(async () => firstReadsSince().length >= 5, 20_000)).toBe(true);
    expect(firstReadsSince().every((op) => op.outcome === "error")).toBe(true);

    // The second primary reaches store 1. The first one still reaches it too, but since its
    // lease lapsed its appends do not renew it (they are sent with renew: false until a
    // quorum answers), so store 1's lease for it runs out and store 1 joins epoch 2: the
    // second one has its spare back, and the first is fenced by store 1 while the rest of
    // its partition lasts.
    expect(first.output()).toMatch(/appends do not renew it until 2 stores answer/);
    proxies[4]!.heal();
    expect(await eventually(async () => {
      const store1 = await cluster!.client(1).status();
      return "promisedEpoch" in store1 && store1.promisedEpoch === 2;
    }, 20_000)).toBe(true);
    expect(await eventually(async () => (await persistenceInfo(firstControl)).get("log_state") === "fenced", 20_000), first.output()).toBe(true);
    expect(first.output()).not.toMatch(/appends renew the lease/);
    // The first one's partition heals: it stays fenced.
    proxies[0]!.heal();
    proxies[2]!.heal();
    await load.stop();
    expect(text(await firstControl.send("GET", "reg:0"))).toMatch(/^NOTDURABLE this primary was deposed/);
    // The second one took store 1 into epoch 2, cutting what only the first had written there.
    if (markerRan) {
      expect(await eventually(async () =>
        /log: store \S+: removed \d+ record\(s\) after \d+ that are not in the log of epoch 2/.test(second.output()), 20_000), second.output()).toBe(true);
    }

    const logEnd = Number((await persistenceInfo(secondControl)).get("log_last_lsn"));
    const logs = await cluster.convergedLogs(logEnd);
    const history = setHistoryIn(logs[0]!);
    const keys = [...new Set(load.ops.map((op) => op.key))];
    const state = await valuesOf(secondControl, keys);
    const finalInLog = setsIn(logs[0]!);
    for (const k of keys) expect(state.get(k), k).toBe(finalInLog.get(k) ?? null);
    expect(history.get("marker")).toBe(undefined);
    for (let c = 0; c < WRITERS; c++) expect(state.get(`reg:${c}`)).toBe("1000000");
    checkHistory(load, history, state);
    firstControl.close();
    secondControl.close();
  });
});
