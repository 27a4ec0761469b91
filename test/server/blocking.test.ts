// Blocking list and sorted-set pops over the wire, compared byte for byte
// with redis-server driven the same way: immediate answers, waiting clients
// served in arrival order when a push arrives, timeouts, and MULTI.
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { WirePair } from "../helpers/wire-diff.ts";
import { text } from "../../runtime/bytes.ts";

let server: RunningTrireme;
let pairs: WirePair[] = [];
beforeAll(async () => { server = await startTrireme(); });
afterAll(async () => { await server.stop(); });
beforeEach(async () => {
  for (const p of pairs) p.close();
  pairs = [];
  await (await pair()).run("FLUSHALL");
});

async function pair(): Promise<WirePair> {
  const p = await WirePair.open(server.port, inject("oraclePort"));
  pairs.push(p);
  return p;
}

/** Sends a blocking command to both sides without waiting; resolves to both replies. */
function sendBlocking(p: WirePair, ...args: string[]): Promise<[string, string]> {
  return Promise.all([p.redis.send(...args), p.trireme.send(...args)]).then(([r, t]) => [text(r.bytes), text(t.bytes)]);
}

const settle = () => new Promise((r) => setTimeout(r, 100));

describe("blocking pops, as redis-server answers them", () => {
  it("answers at once when there is data, and rejects bad timeouts", async () => {
    const a = await pair();
    for (const c of [
      ["RPUSH", "l", "a", "b"], ["BLPOP", "missing", "l", "0"], ["BRPOP", "l", "0"], ["BLPOP", "l", "-1"],
      ["BLPOP", "l", "abc"], ["BLPOP", "l", "1e400"], ["SET", "s", "x"], ["BLPOP", "s", "1"],
      ["RPUSH", "src", "1", "2"], ["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"], ["BRPOPLPUSH", "src", "dst", "0"],
      ["LRANGE", "dst", "0", "-1"], ["BLMOVE", "src", "dst", "UP", "RIGHT", "0"],
      ["RPUSH", "m", "x", "y", "z"], ["BLMPOP", "0", "2", "none", "m", "LEFT", "COUNT", "2"], ["BLMPOP", "0", "0", "m", "LEFT"],
      ["MULTI"], ["BLPOP", "empty", "0"], ["EXEC"],
    ]) await a.run(...c);
  });

  it("serves waiting clients in the order they blocked when elements arrive", async () => {
    const first = await pair();
    const second = await pair();
    const pusher = await pair();
    const firstReply = sendBlocking(first, "BLPOP", "queue", "other", "0");
    await settle();
    const secondReply = sendBlocking(second, "BRPOP", "queue", "0");
    await settle();
    await pusher.run("RPUSH", "queue", "job1", "job2", "job3");
    const [r1, t1] = await firstReply;
    const [r2, t2] = await secondReply;
    expect(t1).toBe(r1);
    expect(t2).toBe(r2);
    await pusher.run("LRANGE", "queue", "0", "-1");
  });

  it("moves between lists for a blocked BLMOVE, and times out with a null array", async () => {
    const waiter = await pair();
    const pusher = await pair();
    const moved = sendBlocking(waiter, "BLMOVE", "in", "out", "RIGHT", "LEFT", "0");
    await settle();
    await pusher.run("LPUSH", "in", "item");
    const [r, t] = await moved;
    expect(t).toBe(r);
    await pusher.run("LRANGE", "out", "0", "-1");
    await pusher.run("EXISTS", "in");
    const [rt, tt] = await sendBlocking(waiter, "BLPOP", "nothing", "0.2");
    expect(tt).toBe(rt);
    expect(tt).toBe("*-1\r\n");
    // The connection goes on normally after a timeout.
    await waiter.run("PING");
  });

  it("pops sorted sets: at once, and for waiting clients when members arrive", async () => {
    const a = await pair();
    for (const c of [
      ["ZADD", "z", "1", "one", "2", "two", "3", "three", "4", "four", "5", "five"], ["BZPOPMIN", "none", "z", "0"], ["BZPOPMAX", "z", "0"],
      ["BZMPOP", "0", "2", "none", "z", "MIN"], ["BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"], ["BZPOPMIN", "z", "x"],
      ["SET", "str", "v"], ["BZPOPMIN", "str", "0"],
    ]) await a.run(...c);
    const waiter = await pair();
    const popped = sendBlocking(waiter, "BZPOPMIN", "scores", "0");
    const mpopped = sendBlocking(a, "BZMPOP", "0", "1", "scores", "MAX", "COUNT", "2");
    await settle();
    await (await pair()).run("ZADD", "scores", "5", "e", "1", "a", "3", "c");
    for (const [r, t] of [await popped, await mpopped]) expect(t).toBe(r);
  });

  it("keeps commands pipelined behind a blocked one until it is served", async () => {
    const waiter = await pair();
    const pusher = await pair();
    const blocked = sendBlocking(waiter, "BLPOP", "jobs", "0");
    const after = Promise.all([waiter.redis.send("GET", "marker"), waiter.trireme.send("GET", "marker")]);
    await settle();
    await pusher.run("SET", "marker", "set-while-blocked");
    await pusher.run("RPUSH", "jobs", "j");
    const [r, t] = await blocked;
    expect(t).toBe(r);
    const [ra, ta] = await after;
    expect(text(ta.bytes)).toBe(text(ra.bytes));
  });
});
