// Two primaries on the same log. A second primary started on the same three
// stores while the first serves does not take over: the stores refuse it a
// newer epoch while the first one's lease runs (rule 10), so it waits and
// does not listen, and the first keeps committing. Once the first loses its
// lease (stopped with SIGSTOP, or cut off from the stores by a proxy) the
// second is elected and serves. The first, when it runs again, shows no data
// (its lease has lapsed), cannot commit (the stores answer stale-epoch: it is
// fenced, its writes fail with NOTDURABLE), and nothing it acknowledged is
// lost; what it did not acknowledge may or may not be in the log, whole.
import { afterEach, describe, expect, it } from "vitest";
import {
  Cluster, Conn, ConnectionLost, WriteLoad, valuesOf, eventually, persistenceInfo, setHistoryIn, setsIn, sleep, text,
} from "./cluster.ts";
import { FaultProxy } from "../helpers/fault-proxy.ts";
import { canConnect, type RunningTrireme } from "../helpers/trireme-server.ts";

const DEPOSED = /^NOTDURABLE this primary was deposed/;
/** A short lease keeps the test short; the durability timeout bounds how long the first one's clients wait. */
const LEASE = ["--lease-ms", "800", "--durability-timeout", "3000"];
const WAITING = /holds its lease on \d log store\(s\); waiting for it to lapse/;

let cluster: Cluster | null = null;
const proxies: FaultProxy[] = [];

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  await cluster?.close();
  cluster = null;
});

/** One GET on the first primary: when it was sent and answered (Date.now()), and the answer. */
interface Read {
  key: string;
  sent: number;
  done: number;
  reply: string | null;
  /** An error reply (NOTDURABLE): it showed no data. */
  refused: boolean;
}

/** Reads keys of the first primary until stopped, recording each; `pick` chooses the key. */
function readLoop(port: number, pick: (i: number) => string): { reads: Read[]; stop: () => Promise<void> } {
  const reads: Read[] = [];
  let reading = true;
  const done = (async () => {
    const conn = await Conn.connect(port);
    for (let i = 0; reading; i++) {
      const key = pick(i);
      const sent = Date.now();
      try {
        const reply = await conn.send("GET", key);
        reads.push({ key, sent, done: Date.now(), reply: text(reply), refused: reply.type === "error" });
        if (reply.type === "error") await sleep(20); // refused at once once fenced: do not spin
      } catch (error) {
        if (!(error instanceof ConnectionLost)) throw error;
        return;
      }
    }
    conn.close();
  })();
  return { reads, stop: async () => { reading = false; await done; } };
}

/** The stores converge on the serving primary's log; returns it, checked to be the same on each. */
async function convergedLog(serving: Conn) {
  const logEnd = Number((await persistenceInfo(serving)).get("log_last_lsn"));
  const logs = await cluster!.convergedLogs(logEnd);
  // Epoch 1's records, then epoch 2's: none of the first primary's after epoch 2 began.
  const firstOfEpoch2 = logs[0]!.findIndex((r) => r.epoch === 2);
  expect(firstOfEpoch2).toBeGreaterThan(0);
  expect(logs[0]!.slice(firstOfEpoch2).every((r) => r.epoch === 2)).toBe(true);
  return logs[0]!;
}

/** Every store still has epoch 1 promised: the waiting second primary asked nothing that fenced the first. */
async function promisedEpochs(): Promise<number[]> {
  const statuses = await Promise.all([0, 1, 2].map((i) => cluster!.client(i).status()));
  return statuses.map((s) => ("promisedEpoch" in s ? s.promisedEpoch ?? -1 : -1));
}

/** Starts the second primary and checks that it waits, unlistening, while the first keeps its lease. */
async function startWaitingSecond(extra: string[], urls?: string[]): Promise<RunningTrireme> {
  const second = await cluster!.startAnotherPrimary([...LEASE, ...extra], urls, { noWait: true });
  expect(await eventually(async () => WAITING.test(second.output()), 20_000), second.output()).toBe(true);
  return second;
}

describe("two primaries on the same log", () => {
  it("a second primary waits while the first serves a write load; once the first is stopped it takes over, and the first, continued, commits nothing and shows no data", async () => {
    cluster = await Cluster.start(3);
    const first = await cluster.startPrimary(LEASE);
    const firstConn = await Conn.connect(first.port);
    expect(text(await firstConn.send("SET", "shared", "first"))).toBe("OK");
    const load = new WriteLoad(first.port, 3);
    // A reader of the first primary, recording every answer: the newest acknowledged key of a writer.
    const reader = readLoop(first.port, (i) => [...load.acked.keys()].filter((k) => k.startsWith(`w${i % 3}:`)).pop() ?? "shared");
    expect(await eventually(async () => load.acked.size >= 100, 30_000)).toBe(true);

    // The second primary starts on the same stores: the first one's lease holds it back.
    const second = await startWaitingSecond([]);
    const ackedWhileWaiting = load.acked.size;
    expect(await eventually(async () => load.acked.size >= ackedWhileWaiting + 200, 30_000)).toBe(true);
    expect(second.output()).not.toMatch(/ ready: RESP on /);
    expect(await canConnect(second.port)).toBe(false);
    expect(await promisedEpochs()).toEqual([1, 1, 1]);
    expect(load.failed.size + load.unknown.size).toBe(0);
    const firstInfo = await persistenceInfo(firstConn);
    expect(firstInfo.get("log_state")).toBe("serving");
    expect(firstInfo.get("log_epoch")).toBe("1");
    expect(reader.reads.filter((r) => r.refused)).toEqual([]);

    // The first one stops (its clients' commands hang): its lease lapses and the second is elected.
    first.process.kill("SIGSTOP");
    await second.ready(30_000);
    const secondConn = await Conn.connect(second.port);
    expect((await persistenceInfo(secondConn)).get("log_epoch")).toBe("2");
    expect(text(await secondConn.send("SET", "shared", "second"))).toBe("OK");
    const secondServedAt = Date.now();

    // The first one continues. Its lease has lapsed: it shows no data; its writes cannot commit.
    first.process.kill("SIGCONT");
    const staleRead = await firstConn.send("GET", "shared");
    expect(staleRead.type).toBe("error");
    expect(text(staleRead)).toMatch(/^NOTDURABLE/);
    expect(await eventually(async () => (await persistenceInfo(firstConn)).get("log_state") === "fenced", 20_000), first.output()).toBe(true);
    expect(first.output()).toMatch(/log: FENCED: log store /);
    expect(text(await firstConn.send("SET", "after-fence", "x"))).toMatch(DEPOSED);
    expect(await eventually(async () => load.failed.size >= 3, 15_000)).toBe(true);
    // The reader has asked it something since the second one served (checked below: refused).
    expect(await eventually(async () => reader.reads.some((r) => r.sent > secondServedAt), 15_000)).toBe(true);
    await load.stop();
    await reader.stop();
    // Its writes failed (deposed, or stalled first while it could not reach a quorum under its epoch).
    expect(load.errors.length).toBeGreaterThan(0);
    for (const error of load.errors) expect(error).toMatch(/^NOTDURABLE/);
    expect(load.errors.some((e) => DEPOSED.test(e))).toBe(true);

    // It stops serving: reads and writes are refused, PING and INFO still answer.
    expect(text(await firstConn.send("GET", "shared"))).toMatch(DEPOSED);
    expect(text(await firstConn.send("MGET", ...[...load.acked.keys()].slice(0, 3)))).toMatch(DEPOSED);
    expect(text(await firstConn.send("PING"))).toBe("PONG");
    const info = await persistenceInfo(firstConn);
    expect(info.get("log_state")).toBe("fenced");
    expect(info.get("log_epoch")).toBe("1");

    // The second one has every write the first acknowledged (some only after it continued:
    // their records were on a quorum before epoch 2); a write that failed or whose reply was
    // lost may or may not be there, but whole if it is; the one refused after the fence is not.
    const keys = [...load.acked.keys(), ...load.failed.keys(), ...load.unknown.keys()];
    const state = await valuesOf(secondConn, [...keys, "shared", "after-fence"]);
    for (const [k, v] of load.acked) expect(state.get(k), `acknowledged ${k}`).toBe(v);
    for (const [k, v] of [...load.failed, ...load.unknown]) expect([null, v], k).toContain(state.get(k));
    expect(state.get("shared")).toBe("second");
    expect(state.get("after-fence")).toBe(null);

    // The stores converge on the second primary's log, and it is the server's state: no write
    // in it that nobody made.
    const log = await convergedLog(secondConn);
    const logged = setsIn(log);
    for (const k of keys) expect(logged.get(k) ?? null, k).toBe(state.get(k));
    for (const k of logged.keys()) if (k.startsWith("w")) expect(keys, k).toContain(k);
    // Every read the first primary answered with data shows a value of the final log's
    // history, and none was sent after the second one served.
    const history = setHistoryIn(log);
    const answered = reader.reads.filter((r) => !r.refused);
    expect(answered.length).toBeGreaterThan(10);
    for (const { key, sent, reply } of answered) {
      expect(history.get(key), `read of ${key}`).toContain(reply);
      expect(sent, `read of ${key} answered ${reply}`).toBeLessThan(secondServedAt);
    }
    firstConn.close();
    secondConn.close();
  });

  it("a first primary cut off from the stores stops showing data once its lease lapses; the waiting second takes over; healed, the first is fenced and its write is nowhere", async () => {
    cluster = await Cluster.start(3);
    for (const store of cluster.stores) proxies.push(await FaultProxy.start(store.port));
    cluster.primaryUrls = proxies.map((p) => p.url);
    const first = await cluster.startPrimary(LEASE);
    const firstConn = await Conn.connect(first.port);
    expect(text(await firstConn.send("SET", "shared", "first"))).toBe("OK");
    for (let i = 0; i < 50; i++) expect(text(await firstConn.send("SET", `k${i}`, "first"))).toBe("OK");
    // The second one reaches the stores directly; while the first, idle, renews its lease with heartbeats, it waits.
    const second = await startWaitingSecond([], cluster.urls);
    const reader = readLoop(first.port, (i) => (i % 2 === 0 ? "shared" : `k${i % 50}`));
    await sleep(2000);
    expect(await canConnect(second.port)).toBe(false);
    expect(await promisedEpochs()).toEqual([1, 1, 1]);
    expect(reader.reads.filter((r) => r.refused)).toEqual([]);
    expect(reader.reads.filter((r) => r.reply === "first").length).toBeGreaterThan(5);

    // The first one is cut off from every store: its lease lapses (reads wait, then fail),
    // and the second is elected and overwrites what the first shows.
    for (const p of proxies) p.partition();
    await second.ready(30_000);
    const secondConn = await Conn.connect(second.port);
    expect((await persistenceInfo(secondConn)).get("log_epoch")).toBe("2");
    expect(text(await secondConn.send("SET", "shared", "second"))).toBe("OK");
    for (let i = 0; i < 50; i++) expect(text(await secondConn.send("SET", `k${i}`, "second"))).toBe("OK");
    const secondServedAt = Date.now();
    expect(await eventually(async () => reader.reads.some((r) => r.sent > secondServedAt), 20_000)).toBe(true);
    // A write on the first, cut off, cannot commit.
    const cutWrite = text(await firstConn.send("SET", "lost-write", "x"));
    expect(cutWrite).toMatch(/^NOTDURABLE/);

    // The network heals: the stores tell the first one of epoch 2, and it is fenced.
    for (const p of proxies) p.heal();
    expect(await eventually(async () => (await persistenceInfo(firstConn)).get("log_state") === "fenced", 20_000), first.output()).toBe(true);
    expect(text(await firstConn.send("GET", "shared"))).toMatch(DEPOSED);
    expect(text(await firstConn.send("SET", "after-fence", "x"))).toMatch(DEPOSED);
    await reader.stop();

    // Nothing of the first one's after the cut is in the log; the second serves the truth.
    const log = await convergedLog(secondConn);
    const history = setHistoryIn(log);
    expect(history.get("lost-write")).toBe(undefined);
    expect(history.get("after-fence")).toBe(undefined);
    expect(history.get("shared")).toEqual(["first", "second"]);
    expect(await valuesOf(secondConn, ["shared", "lost-write", "after-fence", "k7"])).toEqual(new Map([
      ["shared", "second"], ["lost-write", null], ["after-fence", null], ["k7", "second"],
    ]));
    // What the first one showed is in the log's history, and none of it after the second served.
    const answered = reader.reads.filter((r) => !r.refused);
    for (const { key, sent, reply } of answered) {
      expect(history.get(key), `read of ${key}`).toContain(reply);
      expect(reply).toBe("first");
      expect(sent, `read of ${key} answered ${reply}`).toBeLessThan(secondServedAt);
    }
    for (const r of reader.reads.filter((r) => r.refused)) expect(r.reply).toMatch(/^NOTDURABLE/);
    expect(reader.reads.filter((r) => r.sent > secondServedAt).every((r) => r.refused)).toBe(true);
    firstConn.close();
    secondConn.close();
  });
});
