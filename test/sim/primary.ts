// A simulated primary: the production pieces, wired as server/durability.ts
// wires them: the Replicator (its election, appends, commit, stall and fence,
// on this node's simulated clock and the simulated network), recovery of a
// real Engine from the log (recoverEngine), the CommitGate, and the two ways
// clients reach it. The HTTP API (runtime/http-api.ts) runs each command,
// asks the gate what its reply waits for, and answers once the replicator has
// committed that (or NOTDURABLE when it cannot). A RESP client's native
// commands run as the RESP server runs them: as a durable native run in the
// core (CommitGate.runNative), whose effects share the open record with
// every other run of the step and whose reply waits for the LSN it gives.
//
// A primary started to take over (a restart, a second candidate) is another
// SimPrimary: its election waits for the old primary's lease like any other.
// The standby that follows the log first is SimStandby (standby.ts).

import { Engine } from "../../runtime/engine.ts";
import type { Crc32c } from "../../runtime/log/crc32c.ts";
import { Replicator } from "../../runtime/log/replicator.ts";
import { CommitGate } from "../../runtime/log/gate.ts";
import { recoverEngine } from "../../runtime/log/recovery.ts";
import { createHttpApi } from "../../runtime/http-api.ts";
import { startsWithNativeCommand } from "../../runtime/batch.ts";
import { encodeCommand, encodeReply, parseValue } from "../../runtime/resp.ts";
import { Client, BLOCKED, NO_REPLY } from "../../runtime/client.ts";
import { ErrorReply } from "../../runtime/reply.ts";
import { concatBytes } from "../../runtime/bytes.ts";
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
  /** The primary's lease (ms), as `--lease-ms` gives it; 0: none (only to show what leases prevent). */
  leaseMs: number;
  /** A native run's reply leaves at once, not after the LSN it waits for (a broken rule, only to show the checker catches it). */
  nativeRepliesEarly?: boolean;
}

/** What a client gets back: the HTTP status and the JSON body of the HTTP API. */
export interface ApiReply {
  status: number;
  body: { result?: unknown; error?: string };
  /** Answered by a native run (respReply), not the HTTP API. */
  native?: boolean;
}

export class SimPrimary implements Endpoint {
  readonly name: string;
  readonly incarnation: Incarnation;
  state: "starting" | "serving" | "stopping" | "dead" = "starting";
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
  private readonly settings: PrimarySettings;

  constructor(world: World, net: Network, stores: readonly SimStore[], crc32c: Crc32c, module: WebAssembly.Module,
    name: string, settings: PrimarySettings, clockRate = 1) {
    this.world = world;
    this.name = name;
    this.incarnation = new Incarnation(name);
    this.crc32c = crc32c;
    this.module = module;
    this.settings = settings;
    this.replicator = new Replicator({
      stores: stores.map((s) => ({ name: s.name, api: new StoreClient(world, net, this, s) })),
      crc32c,
      candidate: name,
      quorum: settings.quorum,
      commitTimeoutMs: settings.commitTimeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      leaseMs: settings.leaseMs,
      clock: world.clockFor(this.incarnation, clockRate),
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
      mode: "quorum", imagesAtOnce: true, snapshotLsn: recovered.snapshotLsn, now: clock, log: (message) => this.world.trace(`${this.name}: ${message}`),
    });
    this.state = "serving";
    this.servingSince = this.world.now;
    this.world.trace(`${this.name}: serving at epoch ${this.replicator.epoch} (log end ${this.replicator.lastLsn}, ` +
      `${recovered.snapshotLsn > 0 ? `snapshot at ${recovered.snapshotLsn} + ` : ""}${recovered.replayed} record(s) replayed)`);
  }

  /** kill -9: its timers and connections die with it. */
  /**
   * A clean stop (SIGTERM, SHUTDOWN), as server/durability.ts does it: no new
   * command is taken (the server closes its connections), the lease is given
   * up on the stores, then the process ends.
   */
  async stop(): Promise<void> {
    if (this.state !== "serving") {
      this.crash();
      return;
    }
    this.state = "stopping";
    this.world.trace(`${this.name}: stopping cleanly`);
    const released = await this.replicator.releaseLease();
    this.world.trace(`${this.name}: lease released on ${released} store(s)`);
    this.crash();
  }

  crash(): void {
    if (this.state === "dead") return;
    this.state = "dead";
    this.incarnation.alive = false;
    this.world.trace(`${this.name}: CRASH`);
  }

  /** Commands as a RESP client pipelines them on a connection of its own (respReplies). */
  async respCommands(commands: readonly (readonly string[])[]): Promise<ApiReply[]> {
    return await respReplies(this.gate!, respClient(this.engine!), commands, this.settings.nativeRepliesEarly === true);
  }

  /** One command through the HTTP API (GET /<command>/<arg>...). */
  async command(args: readonly string[]): Promise<ApiReply> {
    return await fetchReply(this.app!, args);
  }
}

/** One command through a node's HTTP API (GET /<command>/<arg>...). */
export async function fetchReply(app: Hono, args: readonly string[]): Promise<ApiReply> {
  const response = await app.fetch(new Request(`http://sim/${args.map(encodeURIComponent).join("/")}`));
  return { status: response.status, body: await response.json() as ApiReply["body"] };
}

/**
 * Commands as a RESP client pipelines them to a serving primary, run as the
 * RESP server's `process` runs a connection's input: the native commands at
 * the head of what is left run as one durable native run
 * (CommitGate.runNative); a command the core hands back, and every command
 * while no native run may start (not serving, the lease not held), takes
 * the per-command path (the gate's refusal, the command,
 * CommitGate.afterCommand). The replies leave in order, each once the LSN
 * it waits for is committed and, for a read that ran without the lease,
 * once the lease is held again; otherwise it turns into the NOTDURABLE
 * error the server's held replies get. `early` breaks that rule for native
 * runs, to show the checker catches it.
 */
export async function respReplies(gate: CommitGate, client: Client, commands: readonly (readonly string[])[], early = false): Promise<ApiReply[]> {
  const args = commands.map((c) => c.map((a) => encoder.encode(a)));
  const encoded = args.map((a) => encodeCommand(a));
  const input = concatBytes(encoded);
  const held: Array<{ body: ApiReply["body"]; lsn: number; lease: boolean; native: boolean }> = [];
  let at = 0;
  let index = 0;
  let handedBack = false;
  while (index < commands.length) {
    if (!handedBack) {
      const rest = input.subarray(at);
      const run = startsWithNativeCommand(rest) ? gate.runNative(client.session, rest) : null;
      handedBack = run?.handedBack ?? false;
      if (run !== null && run.consumed > 0) {
        for (const body of bodiesOf(run.replies, run.count)) held.push({ body, lsn: early ? 0 : run.lsn, lease: false, native: true });
        at += run.consumed;
        index += run.count;
        continue;
      }
    }
    handedBack = false;
    const outcome = gate.refuse(args[index]!, client) ?? client.execute(args[index]!);
    if (outcome === NO_REPLY || outcome === BLOCKED) throw new Error(`the simulation's commands always answer at once (${commands[index]!.join(" ")})`);
    const lsn = gate.afterCommand(args[index]!, client.session.db);
    const lease = gate.replyNeedsLease && !(outcome instanceof ErrorReply);
    held.push({ body: bodiesOf(encodeReply(outcome, 2), 1)[0]!, lsn, lease, native: false });
    at += encoded[index]!.length;
    index++;
  }
  const replies: ApiReply[] = [];
  for (const h of held) {
    let body = h.body;
    if (h.lsn > 0 && !(await gate.replicator.waitCommitted(h.lsn))) body = { error: gate.notDurable().message };
    else if (h.lease && !(await gate.replicator.waitLease(60_000))) body = { error: gate.leaseLost().message };
    replies.push({ status: 200, body, ...(h.native ? { native: true } : {}) });
  }
  return replies;
}

/** A connection of a RESP client (a Client of the engine's, as the RESP server makes one per socket). */
export function respClient(engine: Engine): Client {
  const client = new Client(engine, { deliver: () => {}, resumed: () => {} });
  client.mayBlock = false;
  client.authenticated = true;
  return client;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `count` RESP2 replies, each as the HTTP API's JSON body gives it. */
function bodiesOf(replies: Uint8Array, count: number): Array<ApiReply["body"]> {
  const bodies: Array<ApiReply["body"]> = [];
  let at = 0;
  while (at < replies.length) {
    const parsed = parseValue(replies, at);
    if (parsed === "incomplete") throw new Error("a reply is cut short");
    at += parsed.consumed;
    const value = parsed.value;
    switch (value.type) {
      case "simple": bodies.push({ result: value.value }); break;
      case "error": bodies.push({ error: value.value }); break;
      case "integer": bodies.push({ result: Number(value.value) }); break;
      case "bulk": bodies.push({ result: value.value === null ? null : decoder.decode(value.value) }); break;
      default: throw new Error(`a ${value.type} reply`);
    }
  }
  if (bodies.length !== count) throw new Error(`${bodies.length} replies for ${count} commands`);
  return bodies;
}
