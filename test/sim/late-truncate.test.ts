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

const module = coreModule();
const crc32c = await loadCrc32c(module);
const disk: DiskFaults = { syncMinMs: 0.1, syncMaxMs: 0.5, slowSyncRate: 0, slowSyncMaxMs: 0, unsyncedKeptMax: 0 };
const settings = { quorum: 2, commitTimeoutMs: 250, requestTimeoutMs: 150, leaseMs: 200 };

describe("scripted interleavings", () => {
  it("a truncation that arrives after the primary gave up on it cannot cut records acknowledged since", async () => {
    const world = new World(1);
    world.verbose = process.env.SIM_VERBOSE === "1";
    const net = new Network(world, QUIET_NETWORK);
    const stores = ["store-a", "store-b", "store-c"].map((n) => new SimStore(world, crc32c, n, disk));
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
});
