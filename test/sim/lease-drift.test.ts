// Leases against clock drift, scripted with the simulation's pieces: a
// primary p1 cut off from every store (but not from its clients) while p2 is
// elected and writes; then a client reads from p1. With clocks whose rates
// differ by less than the lease's margin (LEASE_DRIFT_MARGIN, 5%), p1's lease
// has lapsed by the time p2 serves, so the read waits and fails: no stale
// read. With the stores' clocks twice as fast and p1's at half speed (far
// beyond the margin), p1 still believes it holds its lease and answers the
// old value after p2's write completed, and the linearizability checker flags
// the history. The sweep (sweep.test.ts) runs every seed with drift within
// the margin; this shows the margin is what keeps its reads linearizable.
import { describe, expect, it } from "vitest";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { World } from "./world.ts";
import { Network, QUIET_NETWORK } from "./network.ts";
import { SimStore, type DiskFaults } from "./store.ts";
import { SimPrimary, type ApiReply } from "./primary.ts";
import { checkLinearizable, type TimedOperation } from "./linearizability.ts";

const module = coreModule();
const crc32c = await loadCrc32c(module);
const disk: DiskFaults = { syncMinMs: 0.1, syncMaxMs: 0.5, slowSyncRate: 0, slowSyncMaxMs: 0, unsyncedKeptMax: 0 };
const settings = { quorum: 2, commitTimeoutMs: 250, requestTimeoutMs: 150, leaseMs: 200 };

async function deposedRead(rates: { stores: number; p1: number; p2: number }) {
  const world = new World(11);
  world.verbose = process.env.SIM_VERBOSE === "1";
  const net = new Network(world, QUIET_NETWORK);
  const stores = ["store-a", "store-b", "store-c"].map((n) => new SimStore(world, crc32c, n, disk, rates.stores));
  const until = async (condition: () => boolean, ms = 10_000): Promise<void> => {
    await world.run(world.now + ms, condition);
    expect(condition()).toBe(true);
  };
  const history: TimedOperation[] = [];
  let tick = 0; // one command at a time: each call and return in order
  const command = async (p: SimPrimary, args: string[]): Promise<ApiReply> => {
    const call = ++tick;
    let reply: ApiReply | undefined;
    void p.command(args).then((r) => { reply = r; });
    await until(() => reply !== undefined);
    const ok = reply!.status === 200 && reply!.body.error === undefined;
    const ret = ++tick;
    if (args[0] === "SET") history.push({ id: history.length + 1, op: { kind: "set", value: args[2]! }, call, ret: ok ? ret : Infinity });
    else if (ok) history.push({ id: history.length + 1, op: { kind: "get", result: reply!.body.result as string | null }, call, ret });
    return reply!;
  };
  const primary = (name: string, rate: number): SimPrimary => {
    const p = new SimPrimary(world, net, stores, crc32c, module, name, settings, rate);
    void p.start();
    return p;
  };

  const p1 = primary("p1", rates.p1);
  await until(() => p1.state === "serving");
  expect((await command(p1, ["SET", "x", "1"])).body).toEqual({ result: "OK" });
  // p1 loses every store; its clients still reach it.
  for (const s of stores) net.cut("p1", s.name);
  const p2 = primary("p2", rates.p2);
  await until(() => p2.state === "serving");
  expect((await command(p2, ["SET", "x", "2"])).body).toEqual({ result: "OK" });
  const read = await command(p1, ["GET", "x"]);
  return { read, linearizable: checkLinearizable(history).ok };
}

describe("leases and clock drift", () => {
  it("within the margin, a primary cut off from the stores shows nothing once its successor serves", async () => {
    const { read, linearizable } = await deposedRead({ stores: 1.024, p1: 0.976, p2: 1 });
    expect(read.body.error).toMatch(/^NOTDURABLE/);
    expect(linearizable).toBe(true);
  });

  it("beyond the margin (stores' clocks 2x fast, the old primary's 2x slow), it answers a stale read and the checker flags it", async () => {
    const { read, linearizable } = await deposedRead({ stores: 2, p1: 0.5, p2: 1 });
    expect(read.body).toEqual({ result: "1" });
    expect(linearizable).toBe(false);
  });
});
