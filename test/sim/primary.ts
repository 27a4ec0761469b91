// A simulated primary: the production pieces, wired as server/durability.ts
// wires them: the Replicator (its election, appends, commit, stall and fence,
// on this node's simulated clock and the simulated network), recovery of a
// real Engine from the log (recoverEngine), the CommitGate, and the HTTP API
// (runtime/http-api.ts), which is how clients reach it: the API runs each
// command, asks the gate what its reply waits for, and answers once the
// replicator has committed that (or NOTDURABLE when it cannot).
//
// A "standby" today is simply another primary process started to take over:
// it runs an election with the next epoch and recovers from the log. When
// standbys that tail the log and leases exist, they are another node type
// beside this one, and the lease check belongs where `mayServeReads` is.

import { Engine } from "../../runtime/engine.ts";
import type { Crc32c } from "../../runtime/log/crc32c.ts";
import { Replicator } from "../../runtime/log/replicator.ts";
import { CommitGate } from "../../runtime/log/gate.ts";
import { recoverEngine } from "../../runtime/log/recovery.ts";
import { createHttpApi } from "../../runtime/http-api.ts";
import { Persistence } from "../../runtime/log/persistence.ts";
import type { Hono } from "hono";
import { Incarnation, type World } from "./world.ts";
import type { Endpoint, Network } from "./network.ts";
import { StoreClient, type SimStore } from "./store.ts";

export interface PrimarySettings {
  /** Acknowledgements that commit a record (2 of 3; 1 only to show the checker catches it). */
  quorum: number;
  commitTimeoutMs: number;
  requestTimeoutMs: number;
}

/** What a client gets back: the HTTP status and the JSON body of the HTTP API. */
export interface ApiReply {
  status: number;
  body: { result?: unknown; error?: string };
}

export class SimPrimary implements Endpoint {
  readonly name: string;
  readonly incarnation: Incarnation;
  state: "starting" | "serving" | "dead" = "starting";
  /** Simulated time it started serving. */
  servingSince: number | undefined;
  readonly replicator: Replicator;
  engine: Engine | undefined;
  gate: CommitGate | undefined;
  /** SAVE: snapshots stored on the stores, as the server's SAVE command does. */
  persistence: Persistence | undefined;
  private app: Hono | undefined;
  private readonly world: World;
  private readonly crc32c: Crc32c;
  private readonly module: WebAssembly.Module;

  constructor(world: World, net: Network, stores: readonly SimStore[], crc32c: Crc32c, module: WebAssembly.Module,
    name: string, settings: PrimarySettings) {
    this.world = world;
    this.name = name;
    this.incarnation = new Incarnation(name);
    this.crc32c = crc32c;
    this.module = module;
    this.replicator = new Replicator({
      stores: stores.map((s) => ({ name: s.name, api: new StoreClient(world, net, this, s) })),
      crc32c,
      candidate: name,
      quorum: settings.quorum,
      commitTimeoutMs: settings.commitTimeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      clock: world.clockFor(this.incarnation),
      log: (message) => world.trace(`${name}: ${message}`),
    });
    this.replicator.onStateChange((state) => world.trace(`${name}: state ${state}`));
  }

  /** Election, recovery, then serving: what startDurablePrimary does. */
  async start(): Promise<void> {
    this.world.trace(`${this.name}: starting (election)`);
    await this.replicator.start();
    const clock = () => this.world.unixMs();
    const recovered = await recoverEngine(this.replicator, {
      crc32c: this.crc32c,
      fresh: () => this.world.external(Engine.create(this.module, { seed: this.world.random.int(2 ** 31), clock })),
      restore: (image) => this.world.external(Engine.fromSnapshot(this.module, image, { clock })),
      now: clock,
    });
    if (!this.incarnation.alive) return;
    this.engine = recovered.engine;
    this.gate = new CommitGate(this.engine, this.replicator);
    this.app = createHttpApi(this.engine, { gate: this.gate });
    this.persistence = new Persistence(this.engine, this.replicator, {
      mode: "quorum", snapshotLsn: recovered.snapshotLsn, now: clock, log: (message) => this.world.trace(`${this.name}: ${message}`),
    });
    this.state = "serving";
    this.servingSince = this.world.now;
    this.world.trace(`${this.name}: serving at epoch ${this.replicator.epoch} (log end ${this.replicator.lastLsn}, ` +
      `${recovered.snapshotLsn > 0 ? `snapshot at ${recovered.snapshotLsn} + ` : ""}${recovered.replayed} record(s) replayed)`);
  }

  /** kill -9: its timers and connections die with it. */
  crash(): void {
    if (this.state === "dead") return;
    this.state = "dead";
    this.incarnation.alive = false;
    this.world.trace(`${this.name}: CRASH`);
  }

  /**
   * Whether this node may answer reads. Today that is the HTTP API's own
   * decision (a primary that has not heard of its successor answers); the
   * lease check of a later standby/lease design plugs in here.
   */
  mayServeReads(): boolean {
    return this.state === "serving";
  }

  /** One command through the HTTP API (GET /<command>/<arg>...). */
  async command(args: readonly string[]): Promise<ApiReply> {
    const app = this.app!;
    const response = await app.fetch(new Request(`http://sim/${args.map(encodeURIComponent).join("/")}`));
    return { status: response.status, body: await response.json() as ApiReply["body"] };
  }
}
