// Differential testing: the same commands go to a real redis-server (the
// oracle, started by oracle-setup.ts) and to a Trireme engine, and the
// replies must be the same bytes of RESP2. Where Redis itself does not fix an
// order (SMEMBERS, KEYS, HGETALL of a hashtable...), a command can be marked
// unordered and its reply is compared as a sorted multiset instead.
import { Engine } from "../../runtime/engine.ts";
import { encodeReply, parseValue, type RespValue } from "../../runtime/resp.ts";
import { toBytes, text, type Arg } from "../../runtime/bytes.ts";
import type { Session } from "../../runtime/context.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { startPrivateRedis, type RunningRedis } from "../helpers/redis-server.ts";
import { coreModule } from "../helpers/core-bytes.ts";

export type Comparison = "exact" | "unordered" | "unordered-pairs" | "type-only";

export interface DifferentialOptions {
  /** How to compare the reply of a command (by lower-case name); default exact. */
  compare?: (args: readonly string[]) => Comparison;
}

export class Differential {
  readonly redis: RespClient;
  engine: Engine;
  session: Session;
  readonly log: string[] = [];
  private readonly compare: (args: readonly string[]) => Comparison;

  private readonly oracle: RunningRedis;

  private constructor(oracle: RunningRedis, redis: RespClient, engine: Engine, options: DifferentialOptions) {
    this.oracle = oracle;
    this.redis = redis;
    this.engine = engine;
    this.session = engine.newSession();
    this.compare = options.compare ?? (() => "exact");
  }

  /** Starts this file's own redis-server (stopped by close()) and an engine. */
  static async create(options: DifferentialOptions = {}): Promise<Differential> {
    const oracle = await startPrivateRedis();
    const redis = await RespClient.connect(oracle.port);
    const engine = await Engine.create(coreModule());
    return new Differential(oracle, redis, engine, options);
  }

  /** The oracle's port, for extra connections (RESP3, several clients). */
  get oraclePort(): number {
    return this.oracle.port;
  }

  /** Empties both sides and starts a new command log. */
  async reset(): Promise<void> {
    await this.redis.send("FLUSHALL");
    await this.redis.send("SELECT", "0");
    this.engine = await Engine.create(coreModule());
    this.session = this.engine.newSession();
    this.log.length = 0;
  }

  /** Runs one command on both sides and throws, with the history, if the replies differ. */
  async run(...args: Arg[]): Promise<RespValue> {
    const bytesArgs = args.map(toBytes);
    const shown = bytesArgs.map((a) => JSON.stringify(text(a))).join(" ");
    this.log.push(shown);
    const expected = await this.redis.send(...bytesArgs);
    const actualBytes = encodeReply(this.engine.execute(this.session, bytesArgs), 2);
    const how = this.compare(bytesArgs.map((a) => text(a).toLowerCase()));
    if (!sameReply(expected.bytes, actualBytes, how)) {
      throw new Error(
        `reply differs for: ${shown}\n` +
        `  redis:   ${JSON.stringify(text(expected.bytes))}\n` +
        `  trireme: ${JSON.stringify(text(actualBytes))}\n` +
        `history (${this.log.length} commands):\n  ${this.log.slice(-40).join("\n  ")}`,
      );
    }
    return expected.value;
  }

  async runAll(commands: readonly Arg[][]): Promise<void> {
    for (const c of commands) await this.run(...c);
  }

  async close(): Promise<void> {
    this.redis.close();
    await this.oracle.stop();
  }
}

function sameReply(expected: Uint8Array, actual: Uint8Array, how: Comparison): boolean {
  if (equalBytes(expected, actual)) return true;
  if (how === "exact") return false;
  const e = parseValue(expected);
  const a = parseValue(actual);
  if (e === "incomplete" || a === "incomplete") return false;
  return JSON.stringify(normalize(e.value, how)) === JSON.stringify(normalize(a.value, how));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function show(v: RespValue): unknown {
  switch (v.type) {
    case "bulk": return v.value === null ? null : `$${text(v.value)}`;
    case "array": return v.value === null ? null : v.value.map(show);
    case "integer": return `:${v.value}`;
    default: return v;
  }
}

function normalize(v: RespValue, how: Comparison): unknown {
  if (how === "type-only") {
    if (v.type === "array" && v.value !== null) return { type: "array", length: v.value.length };
    return { type: v.type };
  }
  if (v.type !== "array" || v.value === null) return show(v);
  const items = v.value.map(show);
  if (how === "unordered") return items.map((x) => JSON.stringify(x)).sort();
  const pairs: string[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) pairs.push(JSON.stringify([items[i], items[i + 1]]));
  return pairs.sort();
}
