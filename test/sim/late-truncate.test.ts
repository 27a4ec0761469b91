// Scripted runs of the simulation's pieces for one interleaving each, found
// by reasoning about what the sweep's network allows and kept as regression
// tests: the same World, network, stores and primaries as simulation.ts, with
// chosen partitions and a chosen request held back.
import { describe, expect, it } from "vitest";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { World } from "./world.ts";
import { Network, QUIET_NETWORK } from "./network.ts";
import { SimStore, type DiskFaults } from "./store.ts";
import { SimPrimary, type ApiReply } from "./primary.ts";
import type { StoreStatus } from "../../runtime/log/protocol.ts";

const module = coreModule();
const crc32c = await loadCrc32c(module);
const disk: DiskFaults = { syncMinMs: 0.1, syncMaxMs: 0.5, slowSyncRate: 0, slowSyncMaxMs: 0, unsyncedKeptMax: 0 };
const settings = { quorum: 2, commitTimeoutMs: 250, requestTimeoutMs: 150, leaseMs: 200 };

/** A quiet world with three stores, and the means to script it. */
function scripted(seed: number) {
  const world = new World(seed);
  world.verbose = process.env.SIM_VERBOSE === "1";
  const net = new Network(world, QUIET_NETWORK);
  const stores = ["store-a", "store-b", "store-c"].map((n) => new SimStore(world, crc32c, n, disk)) as [SimStore, SimStore, SimStore];
  /** Runs the world until `condition` holds, for at most `ms` of it. */
  const until = async (condition: () => boolean, ms = 10_000): Promise<void> => {
    await world.run(world.now + ms, condition);
    expect(condition()).toBe(true);
  };
  const command = async (p: SimPrimary, args: string[]): Promise<ApiReply> => {
    let reply: ApiReply | undefined;
    void p.command(args).then((r) => { reply = r; });
    await until(() => reply !== undefined);
    return reply!;
  };
  const primary = (name: string): SimPrimary => {
    const p = new SimPrimary(world, net, stores, crc32c, module, name, settings);
    void p.start();
    return p;
  };
  return { world, net, stores, until, command, primary };
}

describe("scripted interleavings", () => {
  it("a truncation that arrives after the primary gave up on it cannot cut records acknowledged since", async () => {
    const { world, net, until, command, primary } = scripted(1);

    // 1. p1 writes records that only store-a receives: a suffix that is never committed.
    const p1 = primary("p1");
    await until(() => p1.state === "serving");
    net.cut("p1", "store-b");
    net.cut("p1", "store-c");
    void p1.command(["SET", "x", "1"]);
    void p1.command(["SET", "x", "2"]);
    await world.run(world.now + 50);
    p1.crash();
    await world.run(world.now + 2000); // its streams to the cut stores break (held data never arrives)
    net.healAll();

    // 2. p2 is elected by store-b and store-c: it adopts their shorter log.
    net.cut("p2", "store-a");
    const p2 = primary("p2");
    await until(() => p2.state === "serving");

    // 3. store-a comes back: p2 cuts its divergent suffix, but that request is held
    //    in the network past p2's timeout; p2 reconnects, truncates again, streams.
    let held = false;
    net.requestDelay = (from, to, what) => {
      if (held || from !== "p2" || to !== "store-a" || !what.startsWith("truncate")) return 0;
      held = true;
      return 3000;
    };
    net.heal("p2", "store-a");
    const linkA = () => p2.replicator.stores().find((s) => s.name === "store-a")!;
    await until(() => held && linkA().state === "streaming" && linkA().acked === p2.replicator.lastLsn, 5000);

    // 4. A write committed by store-a and store-b (store-c is cut off from p2).
    net.cut("p2", "store-c");
    const write = await command(p2, ["SET", "k", "committed"]);
    expect(write.body).toEqual({ result: "OK" });

    // 5. The held truncation arrives; then p2 dies, and p3 is elected by store-a and store-c.
    await world.run(world.now + 3500);
    p2.crash();
    net.healAll();
    net.cut("p3", "store-b");
    const p3 = primary("p3");
    await until(() => p3.state === "serving");
    const read = await command(p3, ["GET", "k"]);
    expect(read.body).toEqual({ result: "committed" });
  });

  it("a store that holds a committed snapshot keeps its records up to it when ours below it are trimmed away", async () => {
    const { world, net, stores, until, command, primary } = scripted(2);
    const [storeA, storeB, storeC] = stores;
    const statusOf = (store: SimStore): Promise<StoreStatus> => store.backend.status();
    const tail = async (store: SimStore): Promise<number> => (await statusOf(store)).lastLsn;
    /** Runs the world until `check` holds (checked every 10 ms of it). */
    const untilAsync = async (check: () => Promise<boolean>, ms = 10_000): Promise<void> => {
      const end = world.now + ms;
      while (!(await check())) {
        if (world.now >= end) expect.fail(`not within ${ms} ms`);
        await world.run(world.now + 10);
      }
    };

    // 1. p1 commits k = 1 everywhere, then k = 2 and k = 3 on store-b and store-c only.
    const p1 = primary("p1");
    await until(() => p1.state === "serving");
    expect((await command(p1, ["SET", "k", "1"])).body).toEqual({ result: "OK" });
    await world.run(world.now + 100);
    net.cut("p1", "store-a");
    expect((await command(p1, ["SET", "k", "2"])).body).toEqual({ result: "OK" });
    expect((await command(p1, ["SET", "k", "3"])).body).toEqual({ result: "OK" });
    const committed = p1.replicator.commitLsn;

    // 2. A snapshot of that state goes to store-b and store-c; store-b trims its log up to
    //    it, while store-c's trim is held up (a Node store keeps a whole segment anyway).
    net.requestDelay = (from, to, what) => (from === "p1" && to === "store-c" && what.startsWith("trim") ? 60_000 : 0);
    let saved = false;
    void p1.persistence!.save().then(() => { saved = true; });
    await until(() => saved, 70_000); // store-a, cut off, holds it up for its request timeout
    await untilAsync(async () => (await statusOf(storeB)).firstLsn > committed);
    expect((await statusOf(storeC)).firstLsn).toBe(1);

    // 3. A record only store-b gets (never committed), and p1 dies.
    net.cut("p1", "store-c");
    void p1.command(["SET", "k", "4"]);
    await untilAsync(async () => (await tail(storeB)) > committed);
    p1.crash();
    await world.run(world.now + 2000); // its stream to store-c breaks (the held record never arrives)
    net.healAll();

    // 4. p2 is elected by store-b and store-c and adopts store-b's longer log, whose records
    //    below the snapshot are trimmed; it dies before it brings store-c up to date
    //    (whatever it would copy to store-c is held up).
    net.cut("p2", "store-a");
    const copying = (what: string): boolean => what.startsWith("snapshot") || what.startsWith("trim") || what.startsWith("open append stream");
    net.requestDelay = (from, to, what) => (from === "p2" && to === "store-c" && copying(what) ? 60_000 : 0);
    const p2 = primary("p2");
    await world.run(world.now + 2000);
    p2.crash();
    net.requestDelay = undefined;
    net.healAll();
    // store-c still holds every record up to the committed snapshot.
    expect(await tail(storeC)).toBeGreaterThanOrEqual(committed);

    // 5. p3 is elected by store-a (which missed k = 2 and k = 3) and store-c: it must adopt
    //    store-c's log, and k = 3 was acknowledged.
    net.cut("p3", "store-b");
    const p3 = primary("p3");
    await until(() => p3.state === "serving");
    expect((await command(p3, ["GET", "k"])).body).toEqual({ result: "3" });
    expect(await tail(storeA)).toBeGreaterThanOrEqual(committed);
  });
});
