// Reply gating: which log record a reply must wait for before it leaves.
//
// The gate sits between a host (the RESP server, the HTTP API) and the
// replicator. It feeds the engine's effect records to the replicator, seals
// each command's effects into one record, and has the core remember, per
// key, the LSN of the newest record that wrote it and is not committed yet
// (core-wasm/pending.ts: the core notes native runs itself). Then:
//
// - a command that wrote waits for its own record (later than every record
//   before it, so its reply never shows anything that could still be lost);
// - a command that did not write waits for the newest uncommitted record of
//   each key it names (a read of a key with a pending write waits for that
//   write), or for nothing when none of its keys has one;
// - a read-only command without keys (DBSIZE, KEYS, SCAN, RANDOMKEY)
//   and an EXEC that wrote nothing wait for the newest record of all;
// - replies produced outside a command (a blocked client served by another
//   client's write, a pub/sub or keyspace message) wait for the newest record
//   at the moment they are produced.
//
// Records whose effects have no key positions (FLUSHALL, FLUSHDB, SWAPDB,
// MOVE, COPY ... DB) raise a barrier that every read waits for until it
// commits. The host keeps replies of one connection in arrival order (a reply
// whose LSN is committed still waits behind an earlier one that is not).
//
// While the replicator is stalled, writes are refused before they run (so
// nothing is half-applied) and a reply that waits for an uncommitted record
// fails with NOTDURABLE; once fenced, every command fails.
//
// Leases. A reply that shows data and comes from a command that wrote
// nothing (a read) may leave only if the primary held its lease when the
// command ran, or once it holds it again: then no newer primary can have
// changed the data meanwhile (docs/durability.md, "Leases"). The reply of a
// command that wrote needs no lease: its record's commit under our epoch
// proves the same. After afterCommand, `replyNeedsLease` says which.

import type { Engine } from "../engine.ts";
import type { EffectRecord } from "../effects.ts";
import type { Client } from "../client.ts";
import type { CoreExports } from "../core.ts";
import type { Session } from "../context.ts";
import { nativeDurablePrefix } from "../batch.ts";
import { keyPositions, type CommandDef } from "../commands/spec.ts";
import { ErrorReply } from "../reply.ts";
import { lowerAscii } from "../bytes.ts";
import type { Replicator, ReplicatorState } from "./replicator.ts";

/** Effects whose keys are not (only) at their key positions: they hold back every read until committed. */
const BARRIER_COMMANDS = new Set(["flushall", "flushdb", "swapdb", "move", "copy"]);
/** Read-only commands that read keys their key specs do not name. */
const GLOBAL_READS = new Set(["sort", "sort_ro"]);
/** Answered even when fenced. */
const ALWAYS_ALLOWED = new Set(["quit", "reset", "info", "ping"]);
/** Input bytes and commands of native commands run as one native run (they bound the record and a wasted look). */
const NATIVE_RUN_BYTES_MAX = 64 * 1024;
const NATIVE_RUN_COMMANDS_MAX = 256;

/** What a durable native run did (CommitGate.runNative). */
export interface NativeRun {
  /** Bytes of the input the core ran (0: it handed back the first command). */
  readonly consumed: number;
  /** Their replies, in order, as RESP for the session's protocol. */
  readonly replies: Uint8Array;
  /** How many replies `replies` holds. */
  readonly count: number;
  /** The LSN the replies wait for together (0: none); they need no lease. */
  readonly lsn: number;
  /** The core handed back a command of the run: the host runs it on the per-command path before asking the core again. */
  readonly handedBack: boolean;
}

export class CommitGate {
  readonly engine: Engine;
  readonly replicator: Replicator;
  /**
   * The core's exports. The newest pending write of each key is kept in
   * the core (core-wasm/pending.ts), which notes the keys of native runs
   * itself; this gate notes the effects of the commands the host runs and
   * reads the table for the keys of their replies.
   */
  private readonly x: CoreExports;
  /** An uncommitted record that every read waits for (see BARRIER_COMMANDS). */
  private barrierLsn = 0;
  /** Set by afterCommand: the reply shows data and the primary did not hold its lease when the command ran. */
  replyNeedsLease = false;
  /** Effects the running command or native run added to the open record (which may hold earlier native runs' too). */
  private unitEffects = 0;

  constructor(engine: Engine, replicator: Replicator) {
    this.engine = engine;
    this.replicator = replicator;
    this.x = engine.core.x;
    // A table left by an earlier term (a restored image, a standby's) could name LSNs this log never reaches.
    this.x.pending_reset();
    engine.onEffect = (record) => this.onEffect(record);
    engine.onEffectRegion = (region, count) => this.onEffectRegion(region, count);
    engine.openRecordLsn = () => this.replicator.lastLsn + 1;
  }

  get commitLsn(): number {
    return this.replicator.commitLsn;
  }

  get state(): ReplicatorState {
    return this.replicator.state;
  }

  private onEffect(record: EffectRecord): void {
    this.unitEffects++;
    this.replicator.addEffect(record);
    this.noteWrite(record.db, record.args, this.replicator.lastLsn + 1);
  }

  /**
   * A native run's effects, straight from the core's region
   * (Engine.onEffectRegion): written into the open record's payload. The
   * core has noted their keys (FLAG_GATE); no native command is a barrier.
   */
  private onEffectRegion(region: Uint8Array, count: number): void {
    this.unitEffects += count;
    this.replicator.addEffectRegion(region, count);
  }

  /** The command whose effects note the keys they write; null when its effects are a barrier (no key positions, or BARRIER_COMMANDS). */
  private keyedWrite(lowerName: string): CommandDef | null {
    const def = this.engine.commands.get(lowerName);
    return def === undefined || BARRIER_COMMANDS.has(lowerName) || def.keys.length === 0 ? null : def;
  }

  /** Notes that record `lsn` writes the keys of this effect (or, for an effect without key positions, everything). */
  private noteWrite(db: number, args: readonly Uint8Array[], lsn: number): void {
    const def = this.keyedWrite(lowerAscii(args[0]!));
    if (def === null) {
      this.barrierLsn = lsn;
      return;
    }
    for (const i of keyPositions(def, args.length, args)) {
      const key = args[i]!;
      this.x.pending_note(db, this.engine.core.stage1(key), key.length, lsn);
    }
  }

  /** The newest record that wrote a key of `key`'s slot in the core's table (committed or not). */
  private newestWrite(db: number, key: Uint8Array): number {
    return this.x.pending_newest(db, this.engine.core.stage1(key), key.length);
  }

  /**
   * After a command ran (or was refused): seals its effects into one record
   * and returns the LSN its reply must wait for (0: none). `db` is the
   * session's database after the command.
   */
  afterCommand(args: readonly Uint8Array[], db: number): number {
    // The open record may hold native runs of this turn too: it is sealed with them, and waited for only if the command wrote.
    const wrote = this.unitEffects > 0;
    this.unitEffects = 0;
    const sealed = this.replicator.seal();
    const own = wrote ? sealed : 0;
    this.replyNeedsLease = own === 0 && !this.replicator.leaseHeld() && this.readsData(args);
    if (own > 0) return own;
    const commit = this.replicator.commitLsn;
    if (this.replicator.lastLsn <= commit) return 0;
    const name = args.length > 0 ? lowerAscii(args[0]!) : "";
    if (name === "exec" || GLOBAL_READS.has(name)) return this.replicator.lastLsn;
    const def: CommandDef | undefined = this.engine.lookup(args);
    if (def === undefined) return 0;
    let wait = this.barrierLsn > commit ? this.barrierLsn : 0;
    const positions = keyPositions(def, args.length, args);
    if (positions.length === 0) return def.flags.includes("readonly") ? this.replicator.lastLsn : 0;
    for (const i of positions) {
      const lsn = this.newestWrite(db, args[i]!);
      if (lsn > wait) wait = lsn;
    }
    return wait > commit ? wait : 0;
  }

  /**
   * Runs the native commands at the head of `input` (RESP, as a client sent
   * them) in the core as one native run, with no JS per command: their
   * effects join the open record and their replies wait together for the LSN
   * afterNativeRun gives. Null when no native run may start now: unless the
   * log serves and the lease runs, a write must be refused before it runs
   * and a read's reply needs the lease, which the per-command path sees to;
   * nor with maxmemory (the core hands every write back then). The RESP
   * server runs its clients' input this way, and the simulation its native
   * clients' commands.
   */
  runNative(session: Session, input: Uint8Array): NativeRun | null {
    if (this.state !== "serving" || !this.leaseHeld() || this.engine.maxmemory > 0) return null;
    const end = nativeDurablePrefix(input, NATIVE_RUN_BYTES_MAX, NATIVE_RUN_COMMANDS_MAX);
    if (end === 0) return null;
    this.beginNativeRun();
    const r = this.engine.executeNativePrefix(session, end === input.length ? input : input.subarray(0, end));
    return { consumed: r.consumed, replies: r.replies, count: r.count, lsn: r.consumed === 0 ? 0 : this.afterNativeRun(), handedBack: r.consumed < end };
  }

  /**
   * Before a native run (runNative, only while serving with the lease held,
   * one core call): the core counts its write commands and the newest
   * pending write of the keys its reads name from here.
   */
  private beginNativeRun(): void {
    this.unitEffects = 0;
    this.x.pending_run_begin();
  }

  /**
   * After the native run: returns the LSN its replies wait for together: the
   * record its effects went into, and the newest pending write of each key
   * its reads name (or a barrier). Its effects stay in the open record, which
   * is sealed at the end of the event loop's turn (Replicator.sealAtTurnEnd)
   * with the effects of every other native run of the turn (one frame, one
   * checksum, one place in the window for all of them), or sooner (a large
   * record, the next command on the per-command path). A run with writes
   * that changed nothing (DEL of a missing key, LPOP of an empty list) waits
   * for the newest record of all, the open one included, which is no earlier
   * than what any of its keys waits for. The replies need no lease: the run
   * ran with it held.
   */
  private afterNativeRun(): number {
    this.replyNeedsLease = false;
    const rep = this.replicator;
    let own = 0;
    if (this.unitEffects > 0) {
      own = rep.lastLsn + 1;
      rep.sealAtTurnEnd();
    }
    this.unitEffects = 0;
    const commit = rep.commitLsn;
    let wait = own;
    if (own === 0 && this.x.pending_write_commands() > 0) wait = rep.currentLsn();
    const reads = this.x.pending_read_wait();
    if (reads > wait) wait = reads;
    if (this.barrierLsn > wait) wait = this.barrierLsn;
    return wait > commit ? wait : 0;
  }

  /** Whether a command that wrote nothing shows data in its reply (a read), so needs the lease. */
  private readsData(args: readonly Uint8Array[]): boolean {
    if (args.length === 0) return false;
    const name = lowerAscii(args[0]!);
    if (name === "exec" || GLOBAL_READS.has(name)) return true;
    const def = this.engine.lookup(args);
    return def !== undefined && (def.flags.includes("readonly") || def.flags.includes("write") || def.keys.length > 0);
  }

  /** Whether the primary may show data now (its lease runs). */
  leaseHeld(): boolean {
    return this.replicator.leaseHeld();
  }

  /** Whether a reply that needs the lease must fail now: stalled or fenced without it. */
  leaseFailsNow(): boolean {
    const state = this.replicator.state;
    return (state === "stalled" || state === "fenced") && !this.replicator.leaseHeld();
  }

  /** The error that replaces a reply that needed a lease this primary could not renew. */
  leaseLost(): ErrorReply {
    if (this.replicator.state === "fenced") return this.fencedError();
    return new ErrorReply(`NOTDURABLE this primary could not renew its lease (fewer than ${this.replicator.quorum} log stores answer); ` +
      "a newer primary may have changed the data, so it is not shown");
  }

  /** Seals effects produced outside a command (active expiry); returns the record's LSN or 0. */
  afterBackground(): number {
    this.unitEffects = 0;
    return this.replicator.seal();
  }

  /** The LSN a reply produced right now outside a command must wait for. */
  deliveryLsn(): number {
    return this.replicator.currentLsn();
  }

  /** Whether a reply waiting for `lsn` must fail now (stalled or fenced, `lsn` uncommitted). */
  failsNow(lsn: number): boolean {
    const state = this.replicator.state;
    return (state === "stalled" || state === "fenced") && lsn > this.replicator.commitLsn;
  }

  /** The error that replaces a reply whose record could not be committed. */
  notDurable(): ErrorReply {
    if (this.replicator.state === "fenced") return this.fencedError();
    const rep = this.replicator;
    return new ErrorReply(`NOTDURABLE the reply depends on a write that ${rep.quorum} log stores did not acknowledge in time; ` +
      `that write may or may not survive`);
  }

  private fencedError(): ErrorReply {
    return new ErrorReply("NOTDURABLE this primary was deposed: a log store promised a newer epoch to another primary");
  }

  /**
   * Refuses a command before it runs when it cannot be made durable: while
   * stalled a write (or an EXEC that queued one) is refused, and the
   * transaction is discarded; once fenced, everything is. Null: run it.
   */
  refuse(args: readonly Uint8Array[], client: Client | undefined): ErrorReply | null {
    const state = this.replicator.state;
    if (state === "serving") return null;
    const name = lowerAscii(args[0]!);
    if (state === "fenced") return ALWAYS_ALLOWED.has(name) ? null : this.fencedError();
    if (state !== "stalled") return null;
    if (client?.multi != null && name !== "exec" && name !== "discard") return null; // queued: judged at EXEC
    let writes = false;
    if (name === "exec" && client?.multi != null) {
      writes = client.multi.queue.some((q) => q.def.flags.includes("write"));
      if (writes) client.discardMulti();
    } else {
      const def = this.engine.lookup(args);
      writes = def !== undefined && def.flags.includes("write");
    }
    if (!writes) return null;
    const rep = this.replicator;
    const stores = rep.stores();
    const up = stores.filter((s) => s.state === "streaming").length;
    return new ErrorReply(`NOTDURABLE writes are refused until ${rep.quorum} log stores answer (${up} of ${stores.length} connected); ` +
      `nothing was written`);
  }
}
