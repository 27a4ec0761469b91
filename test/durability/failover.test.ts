// Failover and read replicas with real processes: three log stores, a
// primary, and a standby (`--standby`) or read replica (`--replica`)
// following its log. The primary killed with kill -9 during a write load: the
// standby takes over once the primary's lease lapses and has every
// acknowledged write (writes whose outcome the client never learned may or
// may not be there). The primary stopped (SIGSTOP) while the standby takes
// over, then continued: it is fenced, commits nothing and shows no data;
// started again, it waits for the new primary's lease and does not serve. A
// primary whose lease no quorum renews holds reads until it is renewed. A
// replica serves committed data only, reports its lag, and refuses writes. A
// standby hides keys past their expiry but keeps them for the primary's DEL;
// promoted, it expires them itself.
import { spawn } from "node:child_process";
import { createConnection } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { freePortGuess } from "../helpers/trireme-server.ts";
import { Redis } from "@upstash/redis";
import { Cluster, Conn, ConnectionLost, WriteLoad, eventually, persistenceInfo, readStoreLog, setsIn, sleep, text, within } from "./cluster.ts";

let cluster: Cluster | null = null;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const f of cleanups.splice(0)) f();
  await cluster?.close();
  cluster = null;
});

const CLI = fileURLToPath(new URL("../../server/cli.ts", import.meta.url));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

/** A short lease keeps the test short; the durability timeout bounds how long a fenced primary's clients wait. */
const LEASE = ["--lease-ms", "400", "--durability-timeout", "3000"];

const info = (conn: Conn, section: string) => persistenceInfo(conn, section);

async function get(conn: Conn, key: string): Promise<string | null> {
  return text(await conn.send("GET", key));
}

/** Counters: each INCR's outcome recorded; the last acknowledged value, and whether one more may have landed. */
async function counterLoad(port: number, name: string, running: () => boolean): Promise<{ acked: number; unknownLast: boolean }> {
  const conn = await Conn.connect(port);
  let acked = 0;
  while (running()) {
    try {
      const reply = await conn.send("INCR", name);
      if (reply.type === "integer") acked = Number(reply.value);
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      return { acked, unknownLast: true };
    }
  }
  conn.close();
  return { acked, unknownLast: false };
}

describe("a standby", () => {
  it("takes over after kill -9 of the primary during a write load, with every acknowledged write, and goes on writing", async () => {
    cluster = await Cluster.start(3);
    const primary = await cluster.startPrimary(LEASE);
    const standby = await cluster.startFollower("standby", LEASE);
    const onStandby = await Conn.connect(standby.port);
    expect(text(await onStandby.send("SET", "x", "1"))).toBe("READONLY You can't write against a read only replica.");
    expect((await info(onStandby, "replication")).get("role")).toBe("slave");
    const onPrimary = await Conn.connect(primary.port);
    const lease = await info(onPrimary, "replication");
    expect(lease.get("role")).toBe("master");
    expect(lease.get("lease_held")).toBe("1");
    onPrimary.close();

    let running = true;
    const sets = new WriteLoad(primary.port, 3);
    const counter = counterLoad(primary.port, "ctr", () => running);
    await sleep(1500);
    // Meanwhile the standby follows: it already answers reads of committed writes.
    const early = [...sets.acked][0]!;
    expect(await eventually(async () => (await get(onStandby, early[0])) === early[1], 10_000)).toBe(true);

    await cluster.kill9Primary();
    running = false;
    await sets.stop();
    const counted = await counter;
    expect(sets.acked.size).toBeGreaterThan(50);
    expect(sets.failed.size).toBe(0);

    // Once the primary's lease lapses, the standby takes the next epoch and says so.
    expect(await eventually(async () => (await info(onStandby, "replication")).get("role") === "master", 20_000)).toBe(true);
    expect(standby.output()).toMatch(/standby: elected primary at epoch 2/);
    expect((await info(onStandby, "persistence")).get("log_epoch")).toBe("2");

    // Every acknowledged write is there; an unknown one whole or absent.
    for (const [key, value] of sets.acked) expect(await get(onStandby, key), key).toBe(value);
    for (const [key, value] of sets.unknown) expect([null, value]).toContain(await get(onStandby, key));
    const value = Number(await get(onStandby, "ctr"));
    expect(counted.acked).toBeGreaterThan(5);
    expect(counted.unknownLast ? [counted.acked, counted.acked + 1] : [counted.acked]).toContain(value);

    // Writes go on, on the new primary.
    expect(text(await onStandby.send("SET", "after", "failover"))).toBe("OK");
    expect(Number(await onStandby.send("INCR", "ctr").then(text))).toBe(value + 1);
    const more = new WriteLoad(standby.port, 2, "n");
    await sleep(500);
    await more.stop();
    expect(more.acked.size).toBeGreaterThan(10);
    expect(more.failed.size).toBe(0);
    // The stores' log holds it all under epoch 2.
    const log = await readStoreLog(cluster.client(0));
    expect(setsIn(log).get("after")).toBe("failover");
    expect(log[log.length - 1]!.epoch).toBe(2);
    onStandby.close();
  });

  it("fences the old primary that was stopped while it took over: it commits nothing, shows no data, and restarted it waits", async () => {
    cluster = await Cluster.start(3);
    const primary = await cluster.startPrimary(LEASE);
    const standby = await cluster.startFollower("standby", LEASE);
    const old = await Conn.connect(primary.port);
    expect(text(await old.send("SET", "k", "before"))).toBe("OK");
    const onStandby = await Conn.connect(standby.port);
    expect(await eventually(async () => (await get(onStandby, "k")) === "before", 10_000)).toBe(true);

    primary.process.kill("SIGSTOP");
    expect(await eventually(async () => (await info(onStandby, "replication")).get("role") === "master", 20_000)).toBe(true);
    expect(text(await onStandby.send("SET", "k", "after"))).toBe("OK");

    // The old primary wakes up. Its data is stale: it must not show it, nor accept a write.
    primary.process.kill("SIGCONT");
    const read = await old.send("GET", "k");
    expect(read.type).toBe("error");
    expect(text(read)).toMatch(/^NOTDURABLE/);
    const write = await old.send("SET", "k", "stale");
    expect(write.type).toBe("error");
    expect(text(write)).toMatch(/^NOTDURABLE/);
    expect(await eventually(async () => (await info(old, "persistence")).get("log_state") === "fenced", 10_000)).toBe(true);
    expect(primary.output()).toMatch(/FENCED/);
    old.close();

    // Killed and started again, it waits for the new primary's lease and does not serve.
    await cluster.kill9Primary();
    const port = freePortGuess();
    const again = spawn(process.execPath, [CLI, "--port", String(port), "--bind", "127.0.0.1", "--http-port", "0",
      "--durability", "quorum", "--log-stores", cluster.urls.join(","), "--log-token", cluster.token,
      "--dir", join(cluster.root, "primary"), ...LEASE], { stdio: ["ignore", "pipe", "pipe"] });
    cleanups.push(() => again.kill("SIGKILL"));
    let output = "";
    again.stdout.on("data", (d: Buffer) => { output += d.toString(); });
    expect(await eventually(async () => /holds its lease on \d log store\(s\); waiting for it to lapse/.test(output), 15_000)).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(text(await onStandby.send("SET", `still:${i}`, "primary"))).toBe("OK");
      await sleep(200);
    }
    expect(await listening(port)).toBe(false);
    expect((await info(onStandby, "persistence")).get("log_state")).toBe("serving");
    // Nothing of it reached the log; the new primary serves the truth.
    expect(await get(onStandby, "k")).toBe("after");
    const log = await readStoreLog(cluster.client(1));
    expect(setsIn(log).get("k")).toBe("after");
    expect(setsIn(log).get("still:4")).toBe("primary");
    onStandby.close();
  });
});

describe("the primary's lease", () => {
  it("holds reads while no quorum renews it, and lets them go once it is renewed", async () => {
    cluster = await Cluster.start(3);
    const primary = await cluster.startPrimary(["--lease-ms", "400", "--durability-timeout", "30000"]);
    const conn = await Conn.connect(primary.port);
    expect(text(await conn.send("SET", "k", "v"))).toBe("OK");
    await Promise.all([cluster.kill9Store(1), cluster.kill9Store(2)]);
    const probe = await Conn.connect(primary.port);
    expect(await eventually(async () => (await info(probe, "replication")).get("lease_held") === "0", 10_000)).toBe(true);
    expect(await eventually(async () => /log: lease lapsed/.test(primary.output()), 5000)).toBe(true);
    // A read of committed data waits: the primary cannot tell whether a newer one serves.
    const read = conn.send("GET", "k").then(text);
    expect(await within(read, 500)).toBe("timed out");
    expect(text(await probe.send("PING"))).toBe("PONG"); // what shows no data is answered
    await cluster.startStore(1);
    expect(await within(read, 20_000)).toBe("v");
    expect((await info(probe, "replication")).get("lease_held")).toBe("1");
    expect(await eventually(async () => /log: lease renewed/.test(primary.output()), 5000)).toBe(true);
    conn.close();
    probe.close();
  });
});

describe("a read replica", () => {
  it("serves committed data only, reports its lag, and refuses writes", async () => {
    cluster = await Cluster.start(3);
    const primary = await cluster.startPrimary(LEASE);
    const replica = await cluster.startFollower("replica", LEASE);
    const onPrimary = await Conn.connect(primary.port);
    const onReplica = await Conn.connect(replica.port);

    // Writes are refused, also inside MULTI (the transaction is then aborted).
    expect(text(await onReplica.send("SET", "x", "1"))).toBe("READONLY You can't write against a read only replica.");
    expect(text(await onReplica.send("MULTI"))).toBe("OK");
    expect(text(await onReplica.send("INCR", "x"))).toMatch(/^READONLY/);
    expect(text(await onReplica.send("EXEC"))).toMatch(/^EXECABORT/);

    for (let i = 0; i < 200; i++) expect(text(await onPrimary.send("SET", `k${i}`, `v${i}`))).toBe("OK");
    const commitLsn = Number((await info(onPrimary, "persistence")).get("log_commit_lsn"));
    expect(await eventually(async () => Number((await info(onReplica, "replication")).get("replica_applied_lsn")) >= commitLsn, 10_000)).toBe(true);
    for (let i = 0; i < 200; i++) expect(await get(onReplica, `k${i}`)).toBe(`v${i}`);
    expect(text(await onReplica.send("DBSIZE"))).toBe("200");
    // Pipelined in one write, reads run in the core's executor and a write among them is still refused.
    expect((await onReplica.pipeline([["GET", "k1"], ["MGET", "k2", "nope"], ["SET", "k1", "changed"], ["INCR", "n"], ["EXISTS", "k3"], ["GET", "k1"]]))
      .map((r) => (r.type === "array" ? r.value!.map(text) : text(r))))
      .toEqual(["v1", ["v2", null], "READONLY You can't write against a read only replica.", "READONLY You can't write against a read only replica.", "1", "v1"]);
    expect(text(await onReplica.send("DBSIZE"))).toBe("200");
    let repl = await info(onReplica, "replication");
    expect(repl.get("role")).toBe("slave");
    expect(repl.get("master_link_status")).toBe("up");
    expect(repl.get("replica_lag_records")).toBe("0");
    expect(repl.get("replica_lag_ms")).toBe("0");
    expect(Number(repl.get("replica_commit_lsn"))).toBeGreaterThanOrEqual(commitLsn);
    const persistence = await info(onReplica, "persistence");
    expect(persistence.get("log_state")).toBe("following");
    expect(Number(persistence.get("log_applied_lsn"))).toBeGreaterThanOrEqual(commitLsn);

    // Two stores die: a write reaches one store (the one the replica tails) and cannot commit.
    await Promise.all([cluster.kill9Store(1), cluster.kill9Store(2)]);
    const pending = onPrimary.send("SET", "pending", "p").then(text, () => "lost");
    expect(await eventually(async () => setsIn(await readStoreLog(cluster!.client(0))).has("pending"), 5000)).toBe(true);
    await sleep(600);
    // The replica has received it, but it is not committed: not shown.
    expect(await get(onReplica, "pending")).toBe(null);
    repl = await info(onReplica, "replication");
    expect(Number(repl.get("slave_read_repl_offset"))).toBeGreaterThan(Number(repl.get("replica_applied_lsn")));
    // The stores come back: it commits (its client may have been told NOTDURABLE meanwhile:
    // outcome unknown), and the replica shows it.
    await Promise.all([cluster.startStore(1), cluster.startStore(2)]);
    expect(await pending).toMatch(/^(OK|NOTDURABLE)/);
    expect(await eventually(async () => (await get(onReplica, "pending")) === "p", 10_000)).toBe(true);
    expect(replica.output()).toMatch(/replica: tailing the log of/);
    onPrimary.close();
    onReplica.close();
  });
});

describe("expiry on a standby", () => {
  it("hides expired keys but keeps them until the primary's DEL; promoted, it expires them itself", async () => {
    cluster = await Cluster.start(3);
    const primary = await cluster.startPrimary([...LEASE, "--enable-debug-command", "yes"]);
    const standby = await cluster.startFollower("standby", LEASE);
    const onPrimary = await Conn.connect(primary.port);
    const onStandby = await Conn.connect(standby.port);
    // The primary expires keys only when they are read.
    expect(text(await onPrimary.send("DEBUG", "SET-ACTIVE-EXPIRE", "0"))).toBe("OK");
    for (const key of ["gone", "kept"]) expect(text(await onPrimary.send("SET", key, "v", "PX", "300"))).toBe("OK");
    expect(text(await onPrimary.send("SET", "live", "v"))).toBe("OK");
    expect(await eventually(async () => (await get(onStandby, "live")) === "v", 10_000)).toBe(true);
    await sleep(400);

    // Past their expiry: no read shows them, yet the standby still holds them (DBSIZE counts them, as on a Redis replica).
    expect(await get(onStandby, "kept")).toBe(null);
    expect(text(await onStandby.send("EXISTS", "kept", "gone"))).toBe("0");
    expect(text(await onStandby.send("TTL", "kept"))).toBe("-2");
    const keys = await onStandby.send("KEYS", "*");
    expect(keys.type === "array" ? keys.value?.map(text) : keys).toEqual(["live"]);
    expect(text(await onStandby.send("DBSIZE"))).toBe("3");
    // A read on the primary deletes "gone" there; its DEL reaches the standby.
    expect(await get(onPrimary, "gone")).toBe(null);
    expect(await eventually(async () => text(await onStandby.send("DBSIZE")) === "2", 10_000)).toBe(true);

    // The primary dies before it deletes "kept". Promoted, the standby expires it and logs the DEL.
    onPrimary.close();
    await cluster.kill9Primary();
    expect(await eventually(async () => (await info(onStandby, "replication")).get("role") === "master", 20_000)).toBe(true);
    expect(await eventually(async () => text(await onStandby.send("DBSIZE")) === "1", 10_000)).toBe(true);
    expect(await get(onStandby, "live")).toBe("v");
    const deletedAtEpoch2 = async () => (await readStoreLog(cluster!.client(0))).filter((r) => r.epoch === 2)
      .flatMap((r) => r.effects.map((e) => e.args.map((a) => new TextDecoder().decode(a)).join(" ")))
      .filter((e) => e.startsWith("DEL"));
    expect(await eventually(async () => (await deletedAtEpoch2()).length > 0, 10_000)).toBe(true);
    expect(await deletedAtEpoch2()).toEqual(["DEL kept"]);
    onStandby.close();
  });
});

describe("the HTTP API of followers", () => {
  it("a replica's and a standby's serve the committed log and refuse writes; the standby's takes writes once promoted", async () => {
    cluster = await Cluster.start(3);
    const primary = await cluster.startPrimary(LEASE);
    const [replicaHttp, standbyHttp] = [freePortGuess(), freePortGuess()];
    const replica = await cluster.startFollower("replica", [...LEASE, "--http-port", String(replicaHttp)]);
    const standby = await cluster.startFollower("standby", [...LEASE, "--http-port", String(standbyHttp)]);
    const onReplica = new Redis({ url: `http://127.0.0.1:${replicaHttp}`, token: "unused", enableAutoPipelining: false });
    const onStandby = new Redis({ url: `http://127.0.0.1:${standbyHttp}`, token: "unused", enableAutoPipelining: false });
    const onPrimary = await Conn.connect(primary.port);
    for (let i = 0; i < 50; i++) expect(text(await onPrimary.send("SET", `k${i}`, `v${i}`))).toBe("OK");
    expect(text(await onPrimary.send("ZADD", "board", "10", "ann", "20", "bob"))).toBe("2");
    for (const follower of [onReplica, onStandby]) {
      expect(await eventually(async () => (await follower.get<string>("k49")) === "v49", 10_000)).toBe(true);
      // The ZADD's commit reaches the followers with the primary's next message (a commit notice, when idle): a moment later.
      const board = JSON.stringify(["ann", 10, "bob", 20]);
      expect(await eventually(async () => JSON.stringify(await follower.zrange("board", 0, -1, { withScores: true })) === board, 10_000)).toBe(true);
      await expect(follower.set("x", "1")).rejects.toThrow(/READONLY You can't write against a read only replica/);
      // In a transaction too: nothing of it is applied.
      const tx = follower.multi();
      tx.set("y", "1");
      tx.get("k0");
      await expect(tx.exec()).rejects.toThrow(/READONLY|EXECABORT/);
      expect(await follower.get("y")).toBe(null);
    }
    expect(replica.output()).toMatch(/HTTP API \(Upstash REST compatible\) on .*writes get READONLY while following the log/);

    // The primary dies: the standby takes over and its HTTP API takes writes, durably.
    onPrimary.close();
    await cluster.kill9Primary();
    expect(await eventually(async () => /standby: now the primary/.test(standby.output()), 20_000), standby.output()).toBe(true);
    expect(await onStandby.set("after", "promotion")).toBe("OK");
    expect(await onStandby.get("after")).toBe("promotion");
    expect(await eventually(async () => (await onReplica.get("after")) === "promotion", 10_000)).toBe(true);
    await expect(onReplica.set("x", "1")).rejects.toThrow(/READONLY/);
  });
});

