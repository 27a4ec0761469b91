// A simulated standby: what `trireme server --standby` runs (server/replica.ts),
// over the simulated network and clock. It restores the newest snapshot any
// store holds, follows the log with the production LogFollower (tail streams
// through SimTailSource) and answers reads of the committed data it applied
// (a replica read: possibly stale, never lost); meanwhile its Replicator runs
// an election that the stores' leases hold back while the primary lives. Once
// elected it stops tailing, applies the rest of the adopted log, and serves
// as the primary through the CommitGate, the HTTP API and native runs, as a
// SimPrimary does.

import { Engine } from "../../runtime/engine.ts";
import type { Crc32c } from "../../runtime/log/crc32c.ts";
import { Replicator } from "../../runtime/log/replicator.ts";
import { CommitGate } from "../../runtime/log/gate.ts";
import { LogFollower } from "../../runtime/log/follower.ts";
import { createHttpApi } from "../../runtime/http-api.ts";
import { Persistence } from "../../runtime/log/persistence.ts";
import { sleepOn, type Clock } from "../../runtime/log/clock.ts";
import type { Hono } from "hono";
import { Incarnation, type World } from "./world.ts";
import type { Endpoint, Network } from "./network.ts";
import { SimTailSource, StoreClient, type SimStore } from "./store.ts";
import { fetchReply, respClient, respReplies, type ApiReply, type PrimarySettings } from "./primary.ts";

/** How long a follower's tail may stay silent without leases (the lease's stand-in; ms). */
const SILENCE_WITHOUT_LEASE_MS = 200;

export class SimStandby implements Endpoint {
  readonly name: string;
  readonly incarnation: Incarnation;
  state: "starting" | "following" | "promoting" | "serving" | "dead" = "starting";
  /** Simulated time it started serving as the primary. */
  servingSince: number | undefined;
  readonly replicator: Replicator;
  engine: Engine | undefined;
  follower: LogFollower | undefined;
  gate: CommitGate | undefined;
  persistence: Persistence | undefined;
  private app: Hono | undefined;
  /** The HTTP API without a gate: reads of what the follower applied. */
  private followingApp: Hono | undefined;
  private readonly world: World;
  private readonly net: Network;
  private readonly stores: readonly SimStore[];
  private readonly clients: StoreClient[];
  private readonly crc32c: Crc32c;
  private readonly module: WebAssembly.Module;
  private readonly settings: PrimarySettings;
  private readonly clock: Clock;

  constructor(world: World, net: Network, stores: readonly SimStore[], crc32c: Crc32c, module: WebAssembly.Module,
    name: string, settings: PrimarySettings, clockRate = 1) {
    this.world = world;
    this.net = net;
    this.stores = stores;
    this.name = name;
    this.incarnation = new Incarnation(name);
    this.crc32c = crc32c;
    this.module = module;
    this.settings = settings;
    this.clock = world.clockFor(this.incarnation, clockRate);
    this.clients = stores.map((s) => new StoreClient(world, net, this, s));
    this.replicator = new Replicator({
      stores: stores.map((s, i) => ({ name: s.name, api: this.clients[i]! })),
      crc32c,
      candidate: `${name}:standby`,
      quorum: settings.quorum,
      commitTimeoutMs: settings.commitTimeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      leaseMs: settings.leaseMs,
      clock: this.clock,
      log: (message) => world.trace(`${name}: ${message}`),
    });
    this.replicator.onStateChange((state) => world.trace(`${name}: state ${state}`));
  }

  /** A store request that may be lost in the network: undefined after the request timeout. */
  private bounded<T>(request: Promise<T>): Promise<T | undefined> {
    return new Promise((resolve) => {
      request.then(resolve, () => resolve(undefined));
      this.clock.setTimer(() => resolve(undefined), this.settings.requestTimeoutMs);
    });
  }

  /** startFollowing (server/replica.ts): snapshot, tail, election; resolves once it serves as the primary. */
  async start(): Promise<void> {
    const world = this.world;
    const clock = () => world.unixMs();
    world.trace(`${this.name}: starting (standby)`);
    let engine: Engine | undefined;
    let snapshotLsn = 0;
    while (engine === undefined) {
      const lists = await Promise.all(this.clients.map(async (client) => {
        const list = await this.bounded(client.listSnapshots());
        return Array.isArray(list) ? { client, newest: list[0] } : null;
      }));
      if (!this.incarnation.alive) return;
      const reachable = lists.filter((l) => l !== null).sort((a, b) => (b.newest?.lsn ?? 0) - (a.newest?.lsn ?? 0));
      if (reachable.length === 0) {
        await sleepOn(this.clock, 500);
        continue;
      }
      const best = reachable[0]!;
      if (best.newest !== undefined && best.newest.lsn > 0) {
        const snapshot = await this.bounded(best.client.getSnapshot(best.newest.lsn));
        if (!this.incarnation.alive) return;
        if (snapshot !== undefined && snapshot !== null && !("ok" in snapshot)) {
          engine = await world.external(Engine.fromSnapshot(this.module, snapshot.data, { clock }));
          snapshotLsn = snapshot.info.lsn;
          world.trace(`${this.name}: restored the snapshot at LSN ${snapshotLsn}`);
        }
      }
      engine ??= await world.external(Engine.create(this.module, { seed: world.random.int(2 ** 31), clock }));
    }
    if (!this.incarnation.alive) return;
    this.engine = engine;
    const leaseMs = this.settings.leaseMs;
    const follower = new LogFollower({
      stores: this.stores.map((s) => ({ name: s.name, api: new SimTailSource(world, this.net, this, s) })),
      crc32c: this.crc32c,
      engine,
      appliedLsn: snapshotLsn,
      silenceMs: leaseMs > 0 ? leaseMs : SILENCE_WITHOUT_LEASE_MS,
      name: "standby",
      log: (message) => world.trace(`${this.name}: ${message}`),
      // The server exits (a log trimmed below what it applied, an applied record truncated).
      onFatal: (message) => {
        world.trace(`${this.name}: fatal: ${message}`);
        this.crash();
      },
      clock: this.clock,
    });
    this.follower = follower;
    follower.start();
    this.followingApp = createHttpApi(engine);
    this.state = "following";

    const rep = this.replicator;
    await rep.start();
    if (!this.incarnation.alive) return;
    this.state = "promoting";
    follower.stop();
    const from = follower.applied;
    await rep.readLog(from + 1, rep.lastLsn, (frames) => follower.applyFrames(frames));
    if (!this.incarnation.alive) return;
    world.trace(`${this.name}: elected primary at epoch ${rep.epoch}; applied ${rep.lastLsn - from} record(s) it lacked ` +
      `(log ends at LSN ${rep.lastLsn}); serving writes`);
    this.gate = new CommitGate(engine, rep);
    this.app = createHttpApi(engine, { gate: this.gate });
    this.persistence = new Persistence(engine, rep, {
      mode: "quorum", imagesAtOnce: true, snapshotLsn, now: clock, log: (message) => world.trace(`${this.name}: ${message}`),
    });
    this.state = "serving";
    this.servingSince = world.now;
  }

  crash(): void {
    if (this.state === "dead") return;
    this.state = "dead";
    this.incarnation.alive = false;
    this.follower?.stop();
    this.world.trace(`${this.name}: CRASH`);
  }

  /** One command through the HTTP API of the primary it has become. */
  async command(args: readonly string[]): Promise<ApiReply> {
    return await fetchReply(this.app!, args);
  }

  /** Commands as a RESP client pipelines them to the primary it has become (respReplies). */
  async respCommands(commands: readonly (readonly string[])[]): Promise<ApiReply[]> {
    return await respReplies(this.gate!, respClient(this.gate!.engine), commands, this.settings.nativeRepliesEarly === true);
  }

  /** A read while following: the engine's committed data, and the LSN it holds the log up to. */
  async read(args: readonly string[]): Promise<{ reply: ApiReply; applied: number }> {
    const applied = this.follower!.applied;
    return { reply: await fetchReply(this.followingApp!, args), applied };
  }
}
