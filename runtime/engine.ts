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
import { ascii, lowerAscii, utf8 } from "./bytes.ts";
import { Hub } from "./hub.ts";

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
  /** Unix time in ms. Default Date.now. */
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
}

/** Something that wants to see every effect after the log does (WATCH, blocked clients, notifications). */
export type EffectObserver = (record: EffectRecord) => void;

/** Something that wants to see every command run, with its reply and duration (SLOWLOG, MONITOR, stats). */
export type CommandObserver = (session: Session, def: CommandDef, args: readonly Uint8Array[], reply: Reply, micros: number) => void;

const DEFAULT_DATABASES = 16;
const ACTIVE_EXPIRE_SAMPLES = 20;
// Keep going in a database while more than 10% of the keys looked at were
// expired (Redis's active-expire acceptable stale share).
const ACTIVE_EXPIRE_REPEAT_THRESHOLD = ACTIVE_EXPIRE_SAMPLES / 10;
const EVICTION_ROUNDS_MAX = 10_000;
/** Reasons in the core's key log (core-wasm/keyspace.ts). */
const KEYLOG_EVICTED = 1;

export class Engine {
  readonly databases: number;
  readonly clock: () => number;
  maxmemory: number;
  maxmemoryPolicy: EvictionPolicy;
  maxmemorySamples: number;
  onEffect: ((record: EffectRecord) => void) | undefined;
  /** Observers of effects, called after onEffect (see runtime/hub.ts). */
  readonly observers: EffectObserver[] = [];
  /** Observers of commands (runtime/admin/admin.ts); not called while replaying the log. */
  readonly commandObservers: CommandObserver[] = [];
  private replaying = false;
  /**
   * Counters for INFO: keys deleted because their time was up (lazily or by
   * active expiry) and keys deleted to make room under maxmemory are counted
   * apart, as Redis's expired_keys and evicted_keys.
   */
  readonly stats = { expiredKeys: 0, evictedKeys: 0, commands: 0 };
  private randomState: number;
  /** Where the random eviction policies look first next time. */
  private nextEvictionDb = 0;

  readonly core: Core;
  /** Pub/sub, WATCH and blocked clients of this engine's connections. */
  readonly hub: Hub;

  private constructor(core: Core, options: EngineOptions) {
    this.core = core;
    this.databases = options.databases ?? DEFAULT_DATABASES;
    this.clock = options.clock ?? Date.now;
    this.maxmemory = options.maxmemory ?? 0;
    this.maxmemoryPolicy = options.maxmemoryPolicy ?? "noeviction";
    this.maxmemorySamples = options.maxmemorySamples ?? 5;
    this.onEffect = options.onEffect;
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.randomState = seed >>> 0 || 1;
    core.x.ks_init(this.databases, seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0);
    this.hub = new Hub(this);
  }

  static async create(source: CoreSource, options: EngineOptions = {}): Promise<Engine> {
    return new Engine(await loadCore(source), options);
  }

  newSession(): Session {
    return { db: 0, protocol: 2 };
  }

  /** A uniform random number in [0, 1) from the engine's seeded generator (mulberry32). */
  random(): number {
    let t = (this.randomState = (this.randomState + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
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

  /** Runs a resolved command. Hosts that resolve first (MULTI queues, ACL) call this. */
  run(session: Session, def: CommandDef, args: Uint8Array[]): Reply {
    this.stats.commands++;
    const now = this.clock();
    this.core.x.ks_clock(now);
    if (this.maxmemory > 0 && !this.makeRoom() && def.flags.includes("denyoom")) {
      this.drainKeyLog();
      return Errors.oom;
    }
    const ctx = new CommandContext(this, this.core, session, now, def.name);
    const timed = this.commandObservers.length > 0 && !this.replaying;
    const started = timed ? performance.now() : 0;
    const reply = def.handler(ctx, args);
    this.drainKeyLog();
    for (const record of ctx.effects(args)) this.emit(record);
    if (timed) {
      const micros = Math.floor((performance.now() - started) * 1000);
      for (const observe of this.commandObservers) observe(session, def, args, reply, micros);
    }
    return reply;
  }

  private emit(record: EffectRecord): void {
    this.onEffect?.(record);
    for (const observe of this.observers) observe(record);
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
   * Active expiry, as Redis's cron does it: look at the next volatile keys
   * of every database, delete the expired ones, and go on in a database
   * while more than a tenth of them were expired, within `budgetMs`.
   */
  activeExpire(budgetMs = 1): number {
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
    return this.maxmemory > 0 && !this.makeRoom();
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

  /** Turns keys the core deleted by itself into DEL effect records, and counts them by reason. */
  private drainKeyLog(): void {
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
      if (reason === KEYLOG_EVICTED) this.stats.evictedKeys++;
      else this.stats.expiredKeys++;
      this.emit({ db, args: [del, key] });
    }
    x.ks_keylog_reset();
  }
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
