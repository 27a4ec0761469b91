// The engine: one keyspace in a Wasm core, with Redis's command semantics.
//
// `execute` is the one way in: it resolves the command in the table, checks
// arity, makes room under maxmemory (or refuses with OOM), runs the handler
// at a fixed time, and collects the effect records of what changed: first
// the keys the core deleted on its own during the command (expired on
// access, evicted), then the command's own effect. Everything is
// synchronous; hosts decide how commands arrive and where effects go.

import { loadCore, type Core, type CoreSource } from "./core.ts";
import { CommandContext, type Session } from "./context.ts";
import type { EffectRecord } from "./effects.ts";
import { commandTable } from "./commands/table.ts";
import { findSubcommand, type CommandDef } from "./commands/spec.ts";
import { ErrorReply, Errors, type Reply } from "./reply.ts";
import { ascii, lowerAscii, utf8, type Arg } from "./bytes.ts";
import { Hub } from "./hub.ts";
import { BatchRunner, type BatchResult } from "./batch.ts";
import type { RespWriter } from "./resp.ts";
import { Acl } from "./acl.ts";
import { NotifyClass, formatNotifyFlags, parseNotifyFlags, type KeyspaceEvent } from "./notify.ts";
import { keyPositions } from "./commands/spec.ts";
import {
  OtherBuildSnapshotError, portableCommands, readSnapshotHeader, restoreSnapshot, restoreSnapshotInto, takeSnapshot, takeSnapshotInBackground, imageBuffer,
  SnapshotError,
  type SnapshotHeader,
} from "./snapshot.ts";

export const EVICTION_POLICIES = [
  "noeviction", "allkeys-lru", "allkeys-random", "volatile-lru", "volatile-random", "volatile-ttl",
] as const;
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];
/** The core's numbering of policies (core-wasm/keyspace.ts). */
const POLICY_CODE: Record<EvictionPolicy, number> = {
  "noeviction": 0, "allkeys-lru": 1, "allkeys-random": 2, "volatile-lru": 3, "volatile-random": 4, "volatile-ttl": 5,
};

export interface EngineOptions {
  /** Number of databases (SELECT 0..n-1). Default 16. */
  databases?: number;
  /** Unix time in ms. Default Date.now. Fractions of a millisecond (a clock built on performance.now()) are dropped. */
  clock?: () => number;
  /** Seed for hashing and random choices; default random. Fixed seeds make runs repeatable. */
  seed?: number;
  /** Bytes of core memory in use above which writes evict or fail. 0 (default) is no limit. */
  maxmemory?: number;
  maxmemoryPolicy?: EvictionPolicy;
  /** Keys sampled per eviction, as Redis's maxmemory-samples. Default 5. */
  maxmemorySamples?: number;
  /** Called with every effect record, in order. */
  onEffect?: (record: EffectRecord) => void;
  /** Which keyspace events to publish, as Redis's notify-keyspace-events ("KEA", ...). Default "" (none). */
  notifyKeyspaceEvents?: string;
  /** Start in follower mode (see Engine.following). Default false. */
  following?: boolean;
}

/**
 * Something that wants to see effects after the log does (WATCH, blocked
 * clients, notifications). `wantsEffects` lets the native batch path skip
 * producing records nobody reads.
 */
export interface EffectObserver {
  wantsEffects(): boolean;
  observe(record: EffectRecord): void;
}

/** Something that wants to see every command run, with its reply and duration (SLOWLOG, MONITOR, stats). */
export type CommandObserver = (session: Session, def: CommandDef, args: readonly Uint8Array[], reply: Reply, micros: number) => void;

/** Counts of commands the core ran natively (no handler, no args): name, calls, error replies, total µs. */
export type NativeCallObserver = (name: string, calls: number, errors: number, micros: number) => void;

const DEFAULT_DATABASES = 16;
const ACTIVE_EXPIRE_SAMPLES = 20;
// Keep going in a database while more than 10% of the keys looked at were
// expired (Redis's active-expire acceptable stale share).
const ACTIVE_EXPIRE_REPEAT_THRESHOLD = ACTIVE_EXPIRE_SAMPLES / 10;
const EVICTION_ROUNDS_MAX = 10_000;
/** Reasons in the core's key log (core-wasm/keyspace.ts). */
const KEYLOG_EVICTED = 1;
const KEYLOG_NEW = 2;
const NOTIFY_CHANNELS = NotifyClass.keyspace | NotifyClass.keyevent;
const LCS_TYPES_ERROR = "ERR The specified keys must contain string values";
/** The ACL category of the commands of each value type (core type numbers, runtime/core.ts TYPE_NAMES). */
const ACL_CATEGORY_OF_TYPE = ["string", "list", "set", "sortedset", "hash"];

export class Engine {
  readonly databases: number;
  readonly clock: () => number;
  maxmemory: number;
  maxmemoryPolicy: EvictionPolicy;
  maxmemorySamples: number;
  onEffect: ((record: EffectRecord) => void) | undefined;
  /**
   * Takes the effects of a native run straight from the core's effect region
   * (a view, valid during the call only, of `count` effects in the log's
   * payload format, runtime/log/payload.ts) instead of one onEffect record
   * each, when no observer wants effects too.
   * Set beside onEffect by a consumer that handles both (the commit gate).
   */
  onEffectRegion: ((region: Uint8Array, count: number) => void) | undefined;
  /**
   * Set by a durable primary's reply gate (runtime/log/gate.ts): the LSN of
   * the open log record, which the effects of the next native run go into.
   * While it is set, native runs keep the core's table of pending writes
   * (core-wasm/pending.ts).
   */
  openRecordLsn: (() => number) | undefined;
  /** Observers of effects, called after onEffect (see runtime/hub.ts). */
  readonly observers: EffectObserver[] = [];
  /** Observers of commands (runtime/admin/admin.ts); not called while replaying the log. */
  readonly commandObservers: CommandObserver[] = [];
  /** Observers of natively run commands, which commandObservers do not see (runtime/batch.ts). */
  readonly nativeCallObservers: NativeCallObserver[] = [];
  private replaying = false;
  private followingValue = false;
  /** Whether the core hides expired keys now (off while a follower runs a write of its own). */
  private hidingExpired = false;
  /**
   * Counters for INFO: keys deleted because their time was up (lazily or by
   * active expiry) and keys deleted to make room under maxmemory are counted
   * apart, as Redis's expired_keys and evicted_keys.
   */
  readonly stats = { expiredKeys: 0, evictedKeys: 0, commands: 0 };
  /**
   * The notify-keyspace-events classes (runtime/notify.ts), as bits; 0 when
   * no event can be published (no class, or neither K nor E).
   */
  private notifyFlagsValue = 0;
  private notifyActive = 0;
  /** Where the random eviction policies look first next time (kept in snapshots). */
  private nextEvictionDb = 0;
  private rebuiltFromDump = false;
  private batchRunner: BatchRunner | undefined;

  readonly core: Core;
  /** Pub/sub, WATCH and blocked clients of this engine's connections. */
  readonly hub: Hub;
  /** Users, passwords and permissions of this engine's connections. */
  readonly acl: Acl;

  /** `restored` is the header of the snapshot the core was restored from; the core is then not initialized again. */
  private constructor(core: Core, options: EngineOptions, restored?: SnapshotHeader) {
    this.core = core;
    this.databases = options.databases ?? DEFAULT_DATABASES;
    // Times are whole milliseconds, as Redis's mstime: SET ... PX turns them into BigInts, which a fraction would make throw.
    const clock = options.clock;
    this.clock = clock === undefined ? Date.now : () => Math.floor(clock());
    this.maxmemory = options.maxmemory ?? 0;
    this.maxmemoryPolicy = options.maxmemoryPolicy ?? "noeviction";
    this.maxmemorySamples = options.maxmemorySamples ?? 5;
    this.onEffect = options.onEffect;
    if (restored === undefined) {
      const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
      core.x.ks_init(this.databases, seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0);
    } else {
      this.nextEvictionDb = restored.evictionDb;
    }
    this.hub = new Hub(this);
    this.acl = new Acl(this.hub, this.clock);
    if (options.notifyKeyspaceEvents !== undefined) this.notifyKeyspaceEvents = options.notifyKeyspaceEvents;
    // Set either way: a restored image carries the flag of the engine that took it.
    this.following = options.following ?? false;
  }

  /**
   * Follower mode, for an engine that applies a primary's log (a read replica
   * or a standby), with Redis's replica semantics: a key past its expiry is
   * hidden from reads (GET, EXISTS, TTL, TYPE, SCAN, KEYS, RANDOMKEY...) but
   * kept, and no "expired" event or DEL comes of it; records applied from the
   * log act on it as they did on the primary, whose DEL removes it. No active
   * expiry and no eviction (maxmemory is the primary's business). A write run
   * here and not applied from the log (servers refuse those with READONLY)
   * deletes expired keys it touches, as on a writable Redis replica. A
   * standby promoted to primary turns this off: keys expire from then on.
   */
  get following(): boolean {
    return this.followingValue;
  }

  set following(on: boolean) {
    this.followingValue = on;
    this.hideExpired(on);
  }

  /** Whether the command running is a log record being applied (Engine.apply): nothing expires during it. */
  get applyingLog(): boolean {
    return this.replaying;
  }

  private hideExpired(on: boolean): void {
    this.hidingExpired = on;
    this.core.x.ks_set_hide_expired(on ? 1 : 0);
  }

  /** notify-keyspace-events as CONFIG GET shows it. */
  get notifyKeyspaceEvents(): string {
    return formatNotifyFlags(this.notifyFlagsValue);
  }

  /**
   * Sets notify-keyspace-events (CONFIG SET); throws a RangeError naming the
   * accepted characters if one is not an event class.
   */
  set notifyKeyspaceEvents(value: string) {
    const flags = parseNotifyFlags(value);
    if (flags === null) throw new RangeError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    this.notifyFlagsValue = flags;
    this.notifyActive = (flags & NOTIFY_CHANNELS) === 0 ? 0 : flags;
    this.core.x.ks_set_log_new_keys(this.notifyActive & NotifyClass.newKey ? 1 : 0);
  }

  /** The classes whose events are published now (0: none); handlers check it through ctx.notify. */
  get notifyFlags(): number {
    return this.notifyActive;
  }

  /**
   * Publishes one keyspace event of class `type`, if the setting asks for
   * it (ctx.notify calls this). What the core logged before it (keys it
   * expired, evicted or added during this command) is published first, so
   * events leave in the order things happened.
   */
  notify(type: number, event: KeyspaceEvent): void {
    if ((this.notifyActive & type) === 0) return;
    this.drainKeyLog();
    this.hub.publishKeyspaceEvent(this.notifyActive, event);
  }

  /** A key-log event: published as it is read from the log. */
  private notifyLogged(type: number, event: KeyspaceEvent): void {
    if ((this.notifyActive & type) !== 0) this.hub.publishKeyspaceEvent(this.notifyActive, event);
  }

  static async create(source: CoreSource, options: EngineOptions = {}): Promise<Engine> {
    return new Engine(await loadCore(source), options);
  }

  /**
   * An engine holding exactly the state of a snapshot image (see
   * runtime/snapshot.ts), over a fresh instance of the core build that took
   * it. The image carries the seeds and the database count: `seed` is not
   * used, and `databases`, if given, must match. Throws SnapshotError for an
   * image that is corrupt, truncated or from another build.
   */
  static async fromSnapshot(source: CoreSource, image: Uint8Array, options: EngineOptions = {}): Promise<Engine> {
    let restored: { core: Core; header: SnapshotHeader };
    try {
      restored = await restoreSnapshot(source, image);
    } catch (error) {
      if (!(error instanceof OtherBuildSnapshotError) || readSnapshotHeader(image).coreBytes === 0) throw error;
      return Engine.fromOtherBuildSnapshot(source, image, options);
    }
    const { core, header } = restored;
    if (options.databases !== undefined && options.databases !== header.databases) {
      throw new SnapshotError(`snapshot has ${header.databases} databases, not the ${options.databases} asked for`);
    }
    return new Engine(core, { ...options, databases: header.databases }, header);
  }

  /**
   * Replaces this engine's data with an image of the same build, in place
   * (the engine object, its sessions and clients stay): what a follower does
   * when the log it follows is trimmed past it. The image is checked before
   * anything is written; `stillWanted` is asked then, and when it says no the
   * engine is left as it was (null). Follower mode carries over.
   */
  async replaceWithSnapshot(image: Uint8Array, stillWanted: () => boolean = () => true): Promise<SnapshotHeader | null> {
    const header = await restoreSnapshotInto(this.core, image, this.databases, stillWanted);
    if (header === null) return null;
    this.nextEvictionDb = header.evictionDb;
    // The image carries the primary's flags and texts (if it had any): this engine's own go back in.
    this.hideExpired(this.followingValue);
    this.core.x.ks_set_log_new_keys(this.notifyActive & NotifyClass.newKey ? 1 : 0);
    this.batchRunner?.registerTexts();
    return header;
  }

  /** True when fromSnapshot rebuilt the engine from the dump of another build's image (not its memory). */
  get rebuiltFromOtherBuild(): boolean {
    return this.rebuiltFromDump;
  }

  /**
   * An image another build took, rebuilt in a fresh engine of this build from
   * the commands its own core dumps (runtime/snapshot.ts, portableCommands),
   * applied as the log is. Key idle times and object encodings start afresh.
   */
  private static async fromOtherBuildSnapshot(source: CoreSource, image: Uint8Array, options: EngineOptions): Promise<Engine> {
    const databases = readSnapshotHeader(image).databases;
    if (options.databases !== undefined && options.databases !== databases) {
      throw new SnapshotError(`snapshot has ${databases} databases, not the ${options.databases} asked for`);
    }
    const engine = new Engine(await loadCore(source), { ...options, databases, onEffect: undefined });
    const header = await portableCommands(image, (db, resp) => {
      const result = engine.applyResp(db, resp);
      if (result.consumed !== resp.length) throw new SnapshotError("snapshot: the commands rebuilt from its dump did not all run");
    });
    engine.nextEvictionDb = header.evictionDb;
    engine.onEffect = options.onEffect;
    engine.rebuiltFromDump = true;
    return engine;
  }

  /**
   * A snapshot image of the whole engine, covering the log up to `lsn`: a
   * copy of the core's memory with a checksummed header. Between commands only.
   */
  snapshot(lsn: number): Uint8Array {
    return takeSnapshot(this.core, lsn, { databases: this.databases, evictionDb: this.nextEvictionDb });
  }

  /**
   * The same image, pausing the engine only for the copy of its memory: the
   * checksum is computed over the copy afterwards, a piece per event-loop turn,
   * while commands go on. The image is the state at the call. It is written
   * into `into` (from snapshotBuffer) when that is large enough.
   */
  snapshotInBackground(lsn: number, into?: Uint8Array): Promise<Uint8Array> {
    return takeSnapshotInBackground(this.core, lsn, { databases: this.databases, evictionDb: this.nextEvictionDb }, into);
  }

  /**
   * A buffer for snapshotInBackground with its pages already in memory,
   * made a piece per event-loop turn while commands go on, so that the
   * engine pauses only for the copy itself (runtime/snapshot.ts imageBuffer).
   */
  snapshotBuffer(allocate?: (bytes: number) => Uint8Array): Promise<Uint8Array> {
    return imageBuffer(this.core, allocate);
  }

  newSession(): Session {
    return { db: 0, protocol: 2 };
  }

  /**
   * A uniform random number in [0, 1) from the core's seeded generator: its
   * state is in the core's memory, so a restored snapshot goes on with the
   * same sequence.
   */
  random(): number {
    return this.core.x.random_f64();
  }

  /** The command table this engine dispatches from; COMMAND reads it too. */
  get commands(): ReadonlyMap<string, CommandDef> {
    return commandTable;
  }

  /**
   * The command these arguments name, without checking arity: a container
   * command (COMMAND, OBJECT...) given a second argument names its
   * subcommand. Undefined if there is no such command or subcommand.
   */
  lookup(args: readonly Uint8Array[]): CommandDef | undefined {
    const def = commandTable.get(lowerAscii(args[0]!));
    if (def === undefined || def.subcommands === undefined || args.length === 1) return def;
    return findSubcommand(def, lowerAscii(args[1]!));
  }

  /** A command or subcommand by its full name, any case: "get", "command|info". */
  lookupByName(fullName: string): CommandDef | undefined {
    const parts = fullName.toLowerCase().split("|");
    if (parts.length > 2) return undefined;
    const def = commandTable.get(parts[0]!);
    if (parts.length === 1) return def;
    return def?.subcommands === undefined ? undefined : findSubcommand(def, parts[1]!);
  }

  /**
   * The command (or subcommand) these arguments call, or an error reply.
   * A container called alone (COMMAND) runs its own handler, if its arity allows.
   */
  resolve(args: readonly Uint8Array[]): CommandDef | ErrorReply {
    const def = commandTable.get(lowerAscii(args[0]!));
    if (def === undefined) return unknownCommand(args);
    if (def.subcommands === undefined || args.length === 1) {
      return arityOk(def.arity, args.length) ? def : Errors.wrongArity(def.name);
    }
    const subDef = findSubcommand(def, lowerAscii(args[1]!));
    if (subDef === undefined) {
      return new ErrorReply(`ERR unknown subcommand '${sanitize(ascii(args[1]!)).slice(0, 128)}'. Try ${def.name.toUpperCase()} HELP.`);
    }
    if (!arityOk(subDef.arity, args.length)) return Errors.wrongArity(subDef.name);
    return subDef;
  }

  /** Runs one command for a session and returns its reply. */
  execute(session: Session, args: Uint8Array[]): Reply {
    if (args.length === 0) return Errors.syntax;
    const def = this.resolve(args);
    if (def instanceof ErrorReply) return def;
    return this.run(session, def, args);
  }

  /**
   * Runs many commands in one call into the core (see batch.ts): the core
   * runs the ones it knows natively and this engine the rest, in order.
   * Replies come back as RESP bytes for the session's protocol.
   */
  executeBatch(session: Session, commands: readonly (readonly Arg[])[]): BatchResult {
    return (this.batchRunner ??= new BatchRunner(this)).executeBatch(session, commands);
  }

  /**
   * Runs one command in the core when the core runs it natively, returning
   * its RESP reply (a view into core memory, valid until the next call), or
   * null, having done nothing, when it must go through execute().
   */
  executeNative(session: Session, args: readonly Arg[]): Uint8Array | null {
    return (this.batchRunner ??= new BatchRunner(this)).executeNative(session, args);
  }

  /**
   * Runs the natively-run commands at the start of RESP bytes and stops at
   * the first other one; `consumed` says how far it got (see
   * BatchRunner.executeNativePrefix).
   */
  executeNativePrefix(session: Session, input: Uint8Array, into?: RespWriter): BatchResult {
    return (this.batchRunner ??= new BatchRunner(this)).executeNativePrefix(session, input, into);
  }

  /** Runs every complete command in RESP bytes (arrays of bulk strings, as clients send them). */
  executeResp(session: Session, input: Uint8Array): BatchResult {
    return (this.batchRunner ??= new BatchRunner(this)).executeResp(session, input);
  }

  /** Runs a resolved command. Hosts that resolve first (MULTI queues, ACL) call this. */
  run(session: Session, def: CommandDef, args: Uint8Array[]): Reply {
    if (this.hidingExpired && !this.replaying && def.flags.includes("write")) return this.runWriteOnFollower(session, def, args);
    this.stats.commands++;
    const now = this.clock();
    this.core.x.ks_clock(now);
    if (this.maxmemory > 0 && !this.followingValue && !this.makeRoom() && def.flags.includes("denyoom")) {
      this.drainKeyLog();
      return Errors.oom;
    }
    const ctx = new CommandContext(this, this.core, session, now, def.name);
    const timed = this.commandObservers.length > 0 && !this.replaying;
    const started = timed ? performance.now() : 0;
    const reply = def.handler(ctx, args);
    this.drainKeyLog();
    if ((this.notifyActive & NotifyClass.keyMiss) !== 0) this.publishKeyMisses(ctx, def, args, reply);
    for (const record of ctx.effects(args)) this.emit(record);
    if (timed) {
      const micros = Math.floor((performance.now() - started) * 1000);
      for (const observe of this.commandObservers) observe(session, def, args, reply, micros);
    }
    return reply;
  }

  /**
   * A write on a follower that is not applied from the log: expired keys it
   * touches are deleted (and their DEL propagated) rather than hidden, so it
   * cannot add a key beside a hidden one of the same name.
   */
  private runWriteOnFollower(session: Session, def: CommandDef, args: Uint8Array[]): Reply {
    this.hideExpired(false);
    try {
      return this.run(session, def, args);
    } finally {
      this.hideExpired(true);
    }
  }

  /**
   * A keymiss for every key of a read-only command that is not there
   * (Redis reports a miss from each failed read lookup; a read-only command
   * looks up each of its keys). Published after the command, so after any
   * "expired" of the same key.
   */
  private publishKeyMisses(ctx: CommandContext, def: CommandDef, args: Uint8Array[], reply: Reply): void {
    if (!def.flags.includes("readonly") || def.name.startsWith("object|")) return;
    // An error other than WRONGTYPE came before any lookup. WRONGTYPE came
    // at the first key of another type: the keys after it were not looked up.
    // LCS looks both keys up before it checks their types.
    const afterLookups = reply instanceof ErrorReply && reply.message === LCS_TYPES_ERROR;
    const wrongType = reply instanceof ErrorReply && reply.message.startsWith("WRONGTYPE");
    if (reply instanceof ErrorReply && !wrongType && !afterLookups) return;
    const x = this.core.x;
    for (const i of keyPositions(def, args.length, args)) {
      const key = args[i]!;
      const e = x.ks_peek(ctx.db, this.core.stage1(key), key.length);
      if (e === 0 || (this.hidingExpired && isPast(x.ks_get_expire(ctx.db, e), ctx.now))) {
        this.hub.publishKeyspaceEvent(this.notifyActive, { db: ctx.db, event: "keymiss", key });
      } else if (wrongType && !def.acl.includes(ACL_CATEGORY_OF_TYPE[x.ks_entry_type(e)]!)) {
        return;
      }
    }
  }

  /** Delivers one effect record to the log (onEffect) and the observers. @internal (batch.ts) */
  emit(record: EffectRecord): void {
    this.onEffect?.(record);
    for (const o of this.observers) if (o.wantsEffects()) o.observe(record);
  }

  /** Where a native run's effect region goes whole, if anywhere: onEffectRegion while no observer wants effects. @internal (batch.ts) */
  effectRegionSink(): ((region: Uint8Array, count: number) => void) | undefined {
    if (this.onEffectRegion === undefined || this.onEffect === undefined) return undefined;
    for (const o of this.observers) if (o.wantsEffects()) return undefined;
    return this.onEffectRegion;
  }

  /** Whether anyone reads effect records right now. */
  wantsEffects(): boolean {
    if (this.onEffect !== undefined) return true;
    for (const o of this.observers) if (o.wantsEffects()) return true;
    return false;
  }

  /**
   * Applies an effect record (replay of the log): the command runs in the
   * record's db, and no key expires during it — the log has a DEL wherever
   * the primary expired a key, so the replica follows the primary's clock,
   * not its own.
   */
  apply(record: EffectRecord): Reply {
    const session: Session = { db: record.db, protocol: 2 };
    this.core.x.ks_set_replaying(1);
    this.replaying = true;
    try {
      return this.execute(session, record.args as Uint8Array[]);
    } finally {
      this.replaying = false;
      this.core.x.ks_set_replaying(0);
    }
  }

  /**
   * Applies many effect records of database `db` at once, as apply() applies
   * one: `input` holds their commands as RESP arrays, run in order through
   * the batched executor (recovery replays the log this way).
   */
  applyResp(db: number, input: Uint8Array): BatchResult {
    const session: Session = { db, protocol: 2 };
    this.core.x.ks_set_replaying(1);
    this.replaying = true;
    try {
      return this.executeResp(session, input);
    } finally {
      this.replaying = false;
      this.core.x.ks_set_replaying(0);
    }
  }

  /**
   * Active expiry, as Redis's cron does it: look at the next volatile keys
   * of every database, delete the expired ones, and go on in a database
   * while more than a tenth of them were expired, within `budgetMs`.
   */
  activeExpire(budgetMs = 1): number {
    // A follower keeps expired keys until the primary's DEL comes through the log.
    if (this.followingValue) return 0;
    const start = this.clock();
    this.core.x.ks_clock(start);
    let deleted = 0;
    for (let db = 0; db < this.databases; db++) {
      let n: number;
      do {
        if (this.core.x.ks_expires_count(db) === 0) break;
        n = this.core.x.ks_expire_cycle(db, ACTIVE_EXPIRE_SAMPLES);
        deleted += n;
      } while (n > ACTIVE_EXPIRE_REPEAT_THRESHOLD && this.clock() - start < budgetMs);
    }
    this.drainKeyLog();
    return deleted;
  }

  /**
   * Whether memory is over maxmemory even after evicting what the policy
   * allows: then commands flagged denyoom are refused.
   */
  overMemoryLimit(): boolean {
    return this.maxmemory > 0 && !this.followingValue && !this.makeRoom();
  }

  /** Bytes of core memory in use (what maxmemory limits). */
  usedMemory(): number {
    return this.core.x.mem_used();
  }

  /**
   * Evicts keys under the policy until memory use is within maxmemory.
   * Returns false if it cannot get there (noeviction, or nothing left to evict).
   *
   * Each round samples every database and evicts the best candidate across
   * them (the idlest key for LRU, the soonest to expire for volatile-ttl).
   * The random policies have no best: they take the first database with a
   * candidate, starting after the one they took last, as Redis does, so no
   * database is emptied before the others.
   */
  private makeRoom(): boolean {
    const x = this.core.x;
    if (x.mem_used() <= this.maxmemory) return true;
    if (this.maxmemoryPolicy === "noeviction") return false;
    const policy = POLICY_CODE[this.maxmemoryPolicy];
    const random = this.maxmemoryPolicy === "allkeys-random" || this.maxmemoryPolicy === "volatile-random";
    for (let round = 0; round < EVICTION_ROUNDS_MAX && x.mem_used() > this.maxmemory; round++) {
      let bestDb = -1;
      let bestEntry = 0;
      let bestScore = -Infinity;
      for (let i = 0; i < this.databases; i++) {
        const db = random ? (this.nextEvictionDb + i) % this.databases : i;
        const e = x.ks_evict_candidate(db, policy, this.maxmemorySamples);
        if (e === 0) continue;
        const score = x.ks_evict_score();
        if (bestDb < 0 || score > bestScore) {
          bestDb = db;
          bestEntry = e;
          bestScore = score;
        }
        if (random) break;
      }
      if (bestDb < 0) return false;
      if (random) this.nextEvictionDb = (bestDb + 1) % this.databases;
      // Counted as evicted (and propagated as DEL) when the key log is drained.
      x.ks_evict(bestDb, bestEntry);
    }
    return x.mem_used() <= this.maxmemory;
  }

  /**
   * Turns keys the core deleted by itself into DEL effect records, counts
   * them by reason and publishes their events ("expired", "evicted"), and
   * publishes "new" for keys it added while the n class is on. @internal (batch.ts)
   */
  drainKeyLog(): void {
    const x = this.core.x;
    const count = x.ks_keylog_count();
    if (count === 0) return;
    const view = this.core.dataView();
    let at = x.ks_keylog_ptr();
    const del = utf8("DEL");
    for (let i = 0; i < count; i++) {
      const db = view.getUint32(at, true);
      const reason = view.getUint32(at + 4, true);
      const len = view.getUint32(at + 8, true);
      const key = this.core.bytes(at + 12, len);
      at += 12 + len;
      if (reason === KEYLOG_NEW) {
        this.notifyLogged(NotifyClass.newKey, { db, event: "new", key });
        continue;
      }
      if (reason === KEYLOG_EVICTED) {
        this.stats.evictedKeys++;
        this.notifyLogged(NotifyClass.evicted, { db, event: "evicted", key });
      } else {
        this.stats.expiredKeys++;
        this.notifyLogged(NotifyClass.expired, { db, event: "expired", key });
      }
      this.emit({ db, args: [del, key] });
    }
    x.ks_keylog_reset();
  }
}

/** Whether an expiry time (Unix ms, -1 for none) has come at `now` (whole ms, as the core compares). */
function isPast(expireAt: number, now: number): boolean {
  return expireAt >= 0 && expireAt <= Math.trunc(now);
}

function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

function sanitize(s: string): string {
  return s.replace(/[\r\n]/g, " ");
}

/** Redis's text: ERR unknown command 'x', with args beginning with: 'a' 'b' */
function unknownCommand(args: readonly Uint8Array[]): ErrorReply {
  let list = "";
  for (let i = 1; i < args.length && list.length < 128; i++) {
    list += `'${ascii(args[i]!).slice(0, 128 - list.length)}' `;
  }
  return new ErrorReply(sanitize(`ERR unknown command '${ascii(args[0]!).slice(0, 128)}', with args beginning with: ${list}`));
}
