// The embedded API: a Trireme keyspace inside your process, on Node, in a
// Worker or in a browser. Commands go in as arrays of strings or bytes;
// replies come back as plain JavaScript values.
//
//   const store = await openStore(wasmModuleOrBytes);
//   store.command("SET", "greeting", "hello");   // "OK"
//   store.command("GET", "greeting");            // "hello"
//
// An error reply throws a ReplyError carrying Redis's text. The store is
// synchronous: the data is in this process's memory, so there is nothing to
// wait for. (Durability comes from the log, in the hosts.)

import { Engine, type EngineOptions } from "./engine.ts";
import type { CoreSource } from "./core.ts";
import { Client, BLOCKED, NO_REPLY } from "./client.ts";
import type { Session } from "./context.ts";
import { toBytes, text, type Arg } from "./bytes.ts";
import {
  BoolReply, DoubleReply, ErrorReply, MapReply, NullArray, PushReply, SetReply, SimpleString, VerbatimReply, type Reply,
} from "./reply.ts";
import { formatDouble } from "./numbers.ts";
import { CommandEncoder, commandHead, NATIVE_COMMAND_HINT, type BatchResult } from "./batch.ts";

const HEAD_GET = commandHead("GET", 1);
const HEAD_SET = commandHead("SET", 2);
const HEAD_INCR = commandHead("INCR", 1);
const HEAD_INCRBY = commandHead("INCRBY", 2);

export class ReplyError extends Error {
  override name = "ReplyError";
}

/** A reply as JavaScript values. */
export type Value = string | number | bigint | boolean | Uint8Array | null | Value[] | Map<Value, Value> | Set<Value>;

/** One reply of a batch: a value, or the error that command replied with. */
export type BatchValue = Value | ReplyError;

export interface StoreOptions extends EngineOptions {
  /** Return bulk strings as Uint8Array instead of UTF-8 decoded strings. */
  bytes?: boolean;
  /** RESP protocol semantics of replies: 2 (default, like most clients) or 3 (maps, doubles, sets). */
  protocol?: 2 | 3;
  /** Run active expiry on a timer every this many ms (0 disables; default 100, like Redis's hz 10). */
  activeExpireIntervalMs?: number;
  /** Receives pub/sub messages for this store's subscriptions. */
  onPush?: (message: Value) => void;
}

export class Store {
  private readonly client: Client;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  readonly engine: Engine;
  private readonly options: StoreOptions;
  /** Replies a command wrote itself (SUBSCRIBE's confirmations), while it runs. */
  private collected: Reply[] | null = null;

  constructor(engine: Engine, options: StoreOptions = {}) {
    this.engine = engine;
    this.options = options;
    this.client = new Client(engine, {
      deliver: (reply) => {
        if (this.collected !== null) this.collected.push(reply);
        else this.options.onPush?.(this.toValue(reply));
      },
      resumed: () => {},
    });
    // A synchronous API cannot wait: blocking commands answer at once, as inside MULTI.
    this.client.mayBlock = false;
    // The embedding program is its own client: it does not log in.
    this.client.authenticated = true;
    this.client.session.protocol = options.protocol ?? 2;
    const interval = options.activeExpireIntervalMs ?? 100;
    if (interval > 0) {
      this.timer = setInterval(() => engine.activeExpire(1), interval);
      // Do not keep a Node process alive just for expiry.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Runs a command and returns its reply as JS values; throws ReplyError on an error reply. */
  command(...args: Arg[]): Value {
    // Commands the core runs natively skip the JS dispatcher and its reply objects.
    const name = args[0];
    if (typeof name === "string" && this.client.plain && NATIVE_COMMAND_HINT.has(name.toLowerCase())) {
      const resp = this.engine.executeNative(this.client.session, args);
      if (resp !== null) {
        const value = new RespDecoder(resp, this.options.bytes === true).value();
        // Decoded: now serving clients blocked on keys this made ready may use the core.
        this.engine.hub.serveReady();
        if (value instanceof ReplyError) throw value;
        return value;
      }
    }
    return this.toValue(this.reply(args.map(toBytes)));
  }

  /**
   * Runs a command given as bytes and returns the protocol-level reply
   * (errors are returned, not thrown). A command that writes several
   * replies itself (SUBSCRIBE a b) returns them as an array.
   */
  reply(args: Uint8Array[]): Reply {
    this.collected = [];
    try {
      const outcome = this.client.execute(args);
      if (outcome === NO_REPLY) return this.collected;
      if (outcome === BLOCKED) throw new Error("the embedded store never blocks");
      return outcome;
    } finally {
      this.collected = null;
    }
  }

  /**
   * Runs many commands in one call into the core and returns their replies
   * together, undecoded: see BatchReplies. Commands the core runs natively
   * (GET, SET, INCR, MGET, EXISTS, DEL, ...) cost no JS objects per command.
   *
   *   const replies = store.batch([["SET", "a", "1"], ["INCR", "a"], ["GET", "a"]]);
   *   replies.values();   // ["OK", 2, "2"]
   */
  batch(commands: readonly (readonly Arg[])[]): BatchReplies {
    return new BatchReplies(this.engine.executeBatch(this.client.session, commands), this.options.bytes === true);
  }

  /**
   * A reusable batch that encodes each command as it is added, without
   * building an array of commands first:
   *
   *   const p = store.pipeline();
   *   for (const id of ids) p.add("GET", `user:${id}`);
   *   const replies = p.exec();   // runs them all, empties the pipeline
   */
  pipeline(): Pipeline {
    return new Pipeline(this.engine, this.client.session, this.options.bytes === true);
  }

  /** A snapshot image of the store's engine covering the log up to `lsn` (see runtime/snapshot.ts). */
  snapshot(lsn: number): Uint8Array {
    return this.engine.snapshot(lsn);
  }

  /** The database this handle's commands use (SELECT changes it). */
  get db(): number {
    return this.client.session.db;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.client.close();
  }

  private toValue(reply: Reply): Value {
    if (reply === null || typeof reply === "number" || typeof reply === "bigint") return reply;
    if (reply instanceof Uint8Array) return this.options.bytes ? reply : text(reply);
    if (Array.isArray(reply)) return reply.map((r) => this.toValue(r));
    if (reply instanceof SimpleString) return reply.value;
    if (reply instanceof ErrorReply) throw new ReplyError(reply.message);
    if (reply instanceof DoubleReply) return this.client.session.protocol === 3 ? reply.value : formatDouble(reply.value);
    if (reply instanceof MapReply) {
      if (this.client.session.protocol === 2) return reply.entries.flatMap(([k, v]) => [this.toValue(k), this.toValue(v)]);
      return new Map(reply.entries.map(([k, v]) => [this.toValue(k), this.toValue(v)]));
    }
    if (reply instanceof SetReply) {
      const items = reply.items.map((r) => this.toValue(r));
      return this.client.session.protocol === 3 ? new Set(items) : items;
    }
    if (reply instanceof BoolReply) return this.client.session.protocol === 3 ? reply.value : reply.value ? 1 : 0;
    if (reply instanceof VerbatimReply) return this.options.bytes ? reply.text : text(reply.text);
    if (reply instanceof NullArray) return null;
    if (reply instanceof PushReply) return reply.items.map((r) => this.toValue(r));
    return null;
  }
}

/** Opens an in-process store over a compiled or raw Trireme core (.wasm). */
export async function openStore(core: CoreSource, options: StoreOptions = {}): Promise<Store> {
  return new Store(await Engine.create(core, options), options);
}

/**
 * The replies of a batch, in command order. They are kept as the RESP bytes
 * the core wrote (`resp`); nothing is decoded until `values()` or `value(i)`
 * is called, so a caller that only checks `errors === 0`, or forwards `resp`
 * somewhere, never pays for making JS strings. An error reply does not throw:
 * it is a ReplyError in its place among the values.
 */
export class BatchReplies {
  /** The replies as RESP (RESP2, or RESP3 for a protocol-3 store), concatenated. */
  readonly resp: Uint8Array;
  /** Number of replies. */
  readonly length: number;
  /** Number of error replies. */
  readonly errors: number;
  private readonly asBytes: boolean;
  private decoded: BatchValue[] | undefined;

  constructor(result: BatchResult, asBytes: boolean) {
    this.resp = result.replies;
    this.length = result.count;
    this.errors = result.errors;
    this.asBytes = asBytes;
  }

  /** Every reply as JS values, as Store.command returns them (errors as ReplyError objects). */
  values(): BatchValue[] {
    return (this.decoded ??= new RespDecoder(this.resp, this.asBytes).all(this.length));
  }

  value(index: number): BatchValue {
    return this.values()[index] ?? null;
  }
}

/** A batch built one command at a time; see Store.pipeline. */
export class Pipeline {
  private readonly encoder = new CommandEncoder();
  private readonly engine: Engine;
  private readonly session: Session;
  private readonly asBytes: boolean;

  constructor(engine: Engine, session: Session, asBytes: boolean) {
    this.engine = engine;
    this.session = session;
    this.asBytes = asBytes;
  }

  /** Commands added since the last exec. */
  get length(): number {
    return this.encoder.count;
  }

  add(...args: Arg[]): this {
    this.encoder.add(args);
    return this;
  }

  // Shorthands for the commonest commands, which skip building an argument array.
  get(key: Arg): this {
    this.encoder.addWithHead(HEAD_GET, key);
    return this;
  }
  set(key: Arg, value: Arg): this {
    this.encoder.addWithHead(HEAD_SET, key, value);
    return this;
  }
  incr(key: Arg): this {
    this.encoder.addWithHead(HEAD_INCR, key);
    return this;
  }
  incrby(key: Arg, increment: Arg): this {
    this.encoder.addWithHead(HEAD_INCRBY, key, increment);
    return this;
  }

  /** Runs the commands added so far and empties the pipeline. */
  exec(): BatchReplies {
    const result = this.engine.executeResp(this.session, this.encoder.view());
    this.encoder.reset();
    return new BatchReplies(result, this.asBytes);
  }
}

const utf8Decoder = new TextDecoder();

/** Turns RESP2/RESP3 replies into the JS values Store.command gives. */
class RespDecoder {
  private pos = 0;
  private readonly buf: Uint8Array;
  private readonly asBytes: boolean;

  constructor(buf: Uint8Array, asBytes: boolean) {
    this.buf = buf;
    this.asBytes = asBytes;
  }

  all(count: number): BatchValue[] {
    const out: BatchValue[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.value();
    return out;
  }

  /** The text of the line at pos (after the type byte), moving past its CRLF. */
  private line(): string {
    const buf = this.buf;
    let end = this.pos;
    while (buf[end] !== 13) end++;
    let s = "";
    for (let i = this.pos; i < end; i++) s += String.fromCharCode(buf[i]!);
    this.pos = end + 2;
    return s;
  }

  private integerLine(): number {
    const buf = this.buf;
    let p = this.pos;
    const negative = buf[p] === 45;
    if (negative) p++;
    let v = 0;
    while (buf[p] !== 13) v = v * 10 + buf[p++]! - 48;
    this.pos = p + 2;
    return negative ? -v : v;
  }

  private bulkBytes(len: number): Uint8Array {
    const v = this.buf.slice(this.pos, this.pos + len);
    this.pos += len + 2;
    return v;
  }

  private bulkText(len: number): string {
    const buf = this.buf;
    const start = this.pos;
    this.pos += len + 2;
    if (len <= 32) {
      let s = "";
      for (let i = start; i < start + len; i++) {
        const c = buf[i]!;
        if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, start + len));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Decoder.decode(buf.subarray(start, start + len));
  }

  value(): BatchValue {
    const type = this.buf[this.pos++];
    switch (type) {
      case 36: { // $ bulk
        const len = this.integerLine();
        if (len < 0) return null;
        return this.asBytes ? this.bulkBytes(len) : this.bulkText(len);
      }
      case 58: { // : integer
        const start = this.pos;
        const textValue = this.line();
        if (textValue.length < 16) return Number(textValue);
        this.pos = start;
        return toSafe(BigInt(this.line()));
      }
      case 43: return this.line(); // + simple
      case 45: return new ReplyError(this.line()); // - error
      case 42: case 126: { // * array, ~ set
        const n = this.integerLine();
        if (n < 0) return null;
        const items: Value[] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = this.value() as Value;
        return type === 126 ? new Set(items) : items;
      }
      case 37: { // % map
        const n = this.integerLine();
        const map = new Map<Value, Value>();
        for (let i = 0; i < n; i++) {
          const k = this.value() as Value;
          map.set(k, this.value() as Value);
        }
        return map;
      }
      case 95: this.pos += 2; return null; // _ null
      case 44: { // , double
        const textValue = this.line();
        return textValue === "inf" ? Infinity : textValue === "-inf" ? -Infinity : Number(textValue);
      }
      case 35: return this.line() === "t"; // # boolean
      case 40: return BigInt(this.line()); // ( big number
      case 61: { // = verbatim: "fmt:" then the text
        const len = this.integerLine();
        const bytes = this.bulkBytes(len).subarray(4);
        return this.asBytes ? bytes : utf8Decoder.decode(bytes);
      }
      default:
        throw new Error(`unexpected RESP type byte ${type}`);
    }
  }
}

/** A bigint integer reply as a number when that is exact. */
function toSafe(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Opens a store holding a snapshot image's data, over `core` (an image another build took is rebuilt from the core it carries). */
export async function openStoreFromSnapshot(core: CoreSource, image: Uint8Array, options: StoreOptions = {}): Promise<Store> {
  return new Store(await Engine.fromSnapshot(core, image, options), options);
}
