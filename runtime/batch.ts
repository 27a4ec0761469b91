// Batched execution: many commands per call into the core.
//
// Commands travel as RESP arrays of bulk strings, the bytes a client sends:
// `CommandEncoder` writes them from JS strings or bytes, a socket delivers
// them as they are. The core's executor (core-wasm/exec.ts) parses them in
// linear memory, runs the ones it knows natively (GET, SET without options,
// INCR/DECR/INCRBY/DECRBY, MGET, MSET, EXISTS, DEL, and the plain forms of
// HSET, LPUSH/RPUSH, LPOP/RPOP, SADD, ZADD, ZRANGE, ZRANK) and writes their RESP replies
// to its output buffer; it stops at the first command it does not run
// itself, which `BatchRunner` sends through `Engine.execute` (so it gets the
// very same dispatch, arity errors, maxmemory and effects as any other
// command), and then resumes after it. Replies stay in order.
//
// The result is RESP bytes, not JavaScript values: a server writes them to
// the socket as they are, and an embedded user who only needs "it worked"
// pays nothing for decoding (Store.batch decodes on request).
//
// Effect records of native writes and DEL records of keys the core expired
// during the batch come back through the core's effect region (written in the
// log's payload format) and are passed to `onEffect` in order, between those
// of host-run commands, exactly as the one-command path would produce them.

import type { Core } from "./core.ts";
import type { Engine } from "./engine.ts";
import type { Session } from "./context.ts";
import { encodeReply, parseValue, RespWriter } from "./resp.ts";
import { Errors, ErrorReply, type Reply } from "./reply.ts";
import type { Arg } from "./bytes.ts";
import { decodeEffects } from "./log/payload.ts";

/** The executor's exports (core-wasm/exec.ts). */
interface ExecExports {
  exec_in(size: number): number;
  exec_run(db: number, start: number, end: number, flags: number, maxmemory: number): number;
  exec_argv(): number;
  exec_host(): number;
  exec_fx_ptr(): number;
  exec_fx_len(): number;
  exec_fx_count(): number;
  exec_set_text(id: number, ptr: number, len: number): void;
  exec_call_counts(): number;
  pending_set_lsn(lsn: number): void;
  io_out_ptr(): number;
  io_out_len(): number;
  io_ctl(): number;
  ks_clock(nowMs: number): void;
}

// Stop reasons and flags of exec_run (core-wasm/exec.ts).
const STOP_END = 0;
const STOP_HOST = 1;
/** Size of the core's group records (exec.ts): [argBase][argc][start][end][cmd][hash], u32 each. */
const GROUP_RECORD_BYTES = 24;
const FLAG_RESP3 = 1;
const FLAG_EFFECTS = 2;
const FLAG_GATE = 4;

/** The texts the executor replies with, by its ids; taken from the one table in reply.ts. */
const EXEC_TEXTS: readonly ErrorReply[] = [
  Errors.wrongType, Errors.notInteger, Errors.overflow, Errors.decrementOverflow,
];

/** Native command names by the core's command id (core-wasm/exec.ts CMD_*). */
const NATIVE_COMMAND_NAMES = ["", "get", "set", "incr", "decr", "incrby", "decrby", "mget", "exists", "del", "hset", "zrank", "zrevrank", "lpush", "rpush", "sadd", "lpop", "rpop", "mset", "zadd", "zrange"];

/**
 * The commands the core runs natively (core-wasm/exec.ts nativeCommand), lower
 * case, with the argument counts (name included) it runs them with: exactly
 * n, at least n (-n), or at least n and odd / even, or one of two. The core
 * decides (it hands back a ZADD whose score is not a plain integer, and
 * every write under maxmemory or on a follower), so this only says what is
 * worth handing to it; a stale entry costs time, never correctness.
 * test/unit/batch.test.ts checks it against the core.
 */
type ArgcRule = number | "odd3" | "even4" | "4or5";
const NATIVE_COMMANDS: readonly (readonly [string, ArgcRule])[] = [
  ["set", 3], ["incr", 2], ["decr", 2], ["incrby", 3], ["decrby", 3], ["del", -2], ["hset", 4], ["lpush", 3],
  ["rpush", 3], ["sadd", 3], ["lpop", 2], ["rpop", 2], ["mset", "odd3"], ["zadd", "even4"], ["get", 2], ["mget", -2],
  ["exists", -2], ["zrank", 3], ["zrevrank", 3], ["zrange", "4or5"],
];

/** Their names: a routing hint for single commands (Store.command). */
export const NATIVE_COMMAND_HINT: ReadonlySet<string> = new Set(NATIVE_COMMANDS.map(([name]) => name));

const NATIVE_COMMANDS_BY_LENGTH: { name: Uint8Array; argc: ArgcRule }[][] = [];
for (const [name, argc] of NATIVE_COMMANDS) {
  (NATIVE_COMMANDS_BY_LENGTH[name.length] ??= []).push({ name: new TextEncoder().encode(name), argc });
}

function argcFits(argc: number, rule: ArgcRule): boolean {
  if (rule === "odd3") return argc >= 3 && (argc & 1) === 1;
  if (rule === "even4") return argc >= 4 && (argc & 1) === 0;
  if (rule === "4or5") return argc === 4 || argc === 5;
  return rule < 0 ? argc >= -rule : argc === rule;
}

/**
 * Whether `input` starts with a RESP array whose first bulk string is the
 * name of a command in NATIVE_COMMANDS (any case), read in place: a server
 * asks this for every request it receives, so it makes no string and reads
 * no further than the name.
 */
export function startsWithNativeCommand(input: Uint8Array): boolean {
  if (input.length === 0 || input[0] !== 42) return false; // '*'
  let i = 1;
  while (i < input.length && input[i] !== 13) i++;
  i += 2;
  if (i >= input.length || input[i] !== 36) return false; // '$'
  let len = 0;
  i++;
  while (i < input.length && input[i] !== 13) {
    len = len * 10 + (input[i++]! - 48);
    if (len > 16) return false;
  }
  i += 2;
  return i + len <= input.length && nativeEntry(input, i, len) !== undefined;
}

/**
 * The end of the longest run of complete commands at the start of `input`
 * that the core runs natively (NATIVE_COMMANDS), read in place, of at most
 * `maxCommands` commands; a command that would end past `maxBytes` ends the
 * run, unless it is the first. 0: the input does not start with one. A
 * durable server runs such a run natively with one log record for its
 * effects (server/resp-server.ts); the core tells its reply gate which keys
 * its writes and reads name (core-wasm/pending.ts).
 */
export function nativeDurablePrefix(input: Uint8Array, maxBytes: number, maxCommands: number): number {
  let at = 0;
  for (let n = 0; n < maxCommands && at < input.length; n++) {
    const end = nativeCommandEnd(input, at);
    if (end < 0 || (at > 0 && end > maxBytes)) break;
    at = end;
  }
  return at;
}

/** Where the number readCount read last ends (a variable, not a returned pair: no allocation per number). */
let countEnd = 0;

/** Reads "<digits>\r\n" at `i`: the number (countEnd is set to after its CRLF), or -1. */
function readCount(input: Uint8Array, i: number, digitsMax: number): number {
  let n = 0;
  const start = i;
  while (i < input.length && input[i] !== 13) {
    const c = input[i]! - 48;
    if (c < 0 || c > 9 || i - start >= digitsMax) return -1;
    n = n * 10 + c;
    i++;
  }
  if (i === start || i + 1 >= input.length || input[i + 1] !== 10) return -1;
  countEnd = i + 2;
  return n;
}

/** The end of the command at `at` if it is a complete command of NATIVE_COMMANDS, else -1. */
function nativeCommandEnd(input: Uint8Array, at: number): number {
  if (input[at] !== 42) return -1; // '*'
  const argc = readCount(input, at + 1, 7);
  if (argc < 1) return -1;
  let i = countEnd;
  for (let a = 0; a < argc; a++) {
    if (i >= input.length || input[i] !== 36) return -1; // '$'
    const len = readCount(input, i + 1, 10);
    if (len < 0) return -1;
    i = countEnd;
    if (i + len + 2 > input.length || input[i + len] !== 13 || input[i + len + 1] !== 10) return -1;
    if (a === 0) {
      const entry = nativeEntry(input, i, len);
      if (entry === undefined || !argcFits(argc, entry.argc)) return -1;
    }
    i += len + 2;
  }
  return i;
}

/** The NATIVE_COMMANDS entry named by input[i, i + len), any case. */
function nativeEntry(input: Uint8Array, i: number, len: number): { argc: ArgcRule } | undefined {
  const candidates = NATIVE_COMMANDS_BY_LENGTH[len];
  if (candidates === undefined) return undefined;
  next: for (const entry of candidates) {
    for (let j = 0; j < len; j++) {
      const c = input[i + j]!;
      if ((c >= 65 && c <= 90 ? c + 32 : c) !== entry.name[j]) continue next;
    }
    return entry;
  }
  return undefined;
}

/** Encoded input above this size is run before more is encoded (bounds the input region). */
const CHUNK_BYTES = 1 << 20;

/** What a batch returns. */
export interface BatchResult {
  /** The replies, in command order, as RESP for the session's protocol (RESP2 or RESP3). */
  readonly replies: Uint8Array;
  /** How many commands ran (one reply each). */
  readonly count: number;
  /** How many of the replies are errors. */
  readonly errors: number;
  /**
   * Bytes of the input that were used: all of it, unless it ended inside a
   * command (the rest arrives later) or reached bytes that are not an array
   * of bulk strings (the host's own RESP parser takes over there).
   */
  readonly consumed: number;
}

const textEncoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

function decimalLength(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : String(n).length;
}

/** Bytes an argument can take encoded, header and CRLF included. */
function argBound(a: Arg): number {
  return (typeof a === "string" ? a.length * 3 : a.length) + 16;
}

/**
 * Writes commands as RESP arrays of bulk strings into a reusable buffer.
 * Strings are written as UTF-8; short ASCII strings (keys, numbers) by a
 * plain loop, which is cheaper than TextEncoder for a few bytes. Each
 * command makes room for its worst case once, then writes without checks.
 */
export class CommandEncoder {
  private buf = new Uint8Array(16384);
  private len = 0;
  /** Commands written since the last reset. */
  count = 0;

  get length(): number {
    return this.len;
  }

  /** The encoded bytes, valid until the next write or reset. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  reset(): void {
    this.len = 0;
    this.count = 0;
  }

  /** Appends one command. */
  add(args: readonly Arg[]): void {
    let need = 16;
    for (let i = 0; i < args.length; i++) need += argBound(args[i]!);
    this.ensure(need);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = 42; // '*'
    p = writeDecimal(buf, p, args.length);
    buf[p++] = 13;
    buf[p++] = 10;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      p = typeof a === "string" ? putString(buf, p, a) : putBytes(buf, p, a);
    }
    this.len = p;
    this.count++;
  }

  /** Appends a command whose encoded head (array header and name) is given, then one or two arguments. */
  addWithHead(head: Uint8Array, a: Arg, b?: Arg): void {
    this.ensure(head.length + argBound(a) + (b === undefined ? 0 : argBound(b)));
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < head.length; i++) buf[p++] = head[i]!;
    p = typeof a === "string" ? putString(buf, p, a) : putBytes(buf, p, a);
    if (b !== undefined) p = typeof b === "string" ? putString(buf, p, b) : putBytes(buf, p, b);
    this.len = p;
    this.count++;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** The encoded head of a command with `argc` arguments after its name: "*<argc+1>\r\n$<len>\r\n<NAME>\r\n". */
export function commandHead(name: string, argc: number): Uint8Array {
  return textEncoder.encode(`*${argc + 1}\r\n$${name.length}\r\n${name}\r\n`);
}

function putBytes(buf: Uint8Array, p: number, a: Uint8Array): number {
  buf[p++] = 36; // '$'
  p = writeDecimal(buf, p, a.length);
  buf[p++] = 13;
  buf[p++] = 10;
  if (a.length <= 16) for (let i = 0; i < a.length; i++) buf[p++] = a[i]!;
  else {
    buf.set(a, p);
    p += a.length;
  }
  buf[p++] = 13;
  buf[p++] = 10;
  return p;
}

function putString(buf: Uint8Array, p: number, s: string): number {
  const n = s.length;
  if (n <= 64) {
    // Assume ASCII (length known up front); redo below if it is not.
    let q = p;
    buf[q++] = 36;
    q = writeDecimal(buf, q, n);
    buf[q++] = 13;
    buf[q++] = 10;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[q++] = c;
    }
    if (i === n) {
      buf[q++] = 13;
      buf[q++] = 10;
      return q;
    }
  }
  // UTF-8 of unknown length: encode after room for the longest header, then
  // write the header and move the bytes back against it.
  const worst = n * 3;
  const at = p + 1 + decimalLength(worst) + 2;
  const written = textEncoder.encodeInto(s, buf.subarray(at, at + worst)).written;
  let q = p;
  buf[q++] = 36;
  q = writeDecimal(buf, q, written);
  buf[q++] = 13;
  buf[q++] = 10;
  if (q !== at) buf.copyWithin(q, at, at + written);
  q += written;
  buf[q++] = 13;
  buf[q++] = 10;
  return q;
}

function writeDecimal(buf: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  if (n < 100) {
    const tens = (n / 10) | 0;
    buf[p] = 48 + tens;
    buf[p + 1] = 48 + n - tens * 10;
    return p + 2;
  }
  const digits = decimalLength(n);
  let at = p + digits;
  while (n > 0) {
    buf[--at] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return p + digits;
}

/** The engine's side of batched execution; one per engine (Engine.executeBatch makes it). */
export class BatchRunner {
  private readonly engine: Engine;
  private readonly core: Core;
  private readonly x: ExecExports;
  private readonly encoder = new CommandEncoder();
  /** Set while a batch runs: a nested batch (a host command that runs commands) must not reuse the input region. */
  private running = false;
  /** The core's control block (fixed for the life of the core). */
  private readonly ctl: number;

  constructor(engine: Engine) {
    this.engine = engine;
    this.core = engine.core;
    this.x = engine.core.exportsAs<ExecExports>();
    this.ctl = this.x.io_ctl();
    this.registerTexts();
  }

  /** Gives the core the reply texts it writes by number; again after an image replaced its memory (Engine.replaceWithSnapshot). */
  registerTexts(): void {
    for (let id = 0; id < EXEC_TEXTS.length; id++) {
      const line = encodeReply(EXEC_TEXTS[id]!, 2);
      this.x.exec_set_text(id, this.core.stage1(line), line.length);
    }
  }

  /** Runs commands given as arrays of strings or bytes. */
  executeBatch(session: Session, commands: readonly (readonly Arg[])[]): BatchResult {
    const enc = this.running ? new CommandEncoder() : this.encoder;
    enc.reset();
    let parts: RespWriter | null = null;
    let count = 0;
    let errors = 0;
    for (let i = 0; i < commands.length; i++) {
      enc.add(commands[i]!);
      if (enc.length >= CHUNK_BYTES && i + 1 < commands.length) {
        const r = this.executeResp(session, enc.view());
        (parts ??= new RespWriter(r.replies.length * 2)).raw(r.replies);
        count += r.count;
        errors += r.errors;
        enc.reset();
      }
    }
    const r = this.executeResp(session, enc.view());
    enc.reset();
    if (parts === null) return r;
    parts.raw(r.replies);
    return { replies: parts.take(), count: count + r.count, errors: errors + r.errors, consumed: r.consumed };
  }

  /**
   * Runs one command in the core if it runs it natively, and returns its
   * RESP reply: a view of core memory, valid until the next call into the
   * core. Returns null, having done nothing, when the host must run it.
   */
  executeNative(session: Session, args: readonly Arg[]): Uint8Array | null {
    if (this.running || !this.nativeAllowed(session)) return null;
    const engine = this.engine;
    const core = this.core;
    const x = this.x;
    const enc = this.encoder;
    enc.reset();
    enc.add(args);
    const input = enc.view();
    engine.drainKeyLog();
    const inPtr = x.exec_in(input.length);
    core.u8().set(input, inPtr);
    enc.reset();
    x.ks_clock(engine.clock());
    const flags = this.runFlags(session);
    if ((flags & FLAG_GATE) !== 0) x.pending_set_lsn(engine.openRecordLsn!());
    const started = performance.now();
    const ran = x.exec_run(session.db, 0, input.length, flags, engine.maxmemory);
    this.reportNativeCalls(ran, (performance.now() - started) * 1000);
    if (ran === 0) return null;
    engine.stats.commands += ran;
    engine.stats.expiredKeys += core.ctlI32(4);
    if (x.exec_fx_count() > 0) this.drainEffects();
    const outPtr = x.io_out_ptr();
    return core.u8().subarray(outPtr, outPtr + x.io_out_len());
  }

  /**
   * exec_run's flags for a session. Under a durable primary's gate
   * (FLAG_GATE) the core notes the keys of its writes as pending in the
   * open record, whose LSN it is told before each call.
   */
  private runFlags(session: Session): number {
    const engine = this.engine;
    let flags = (session.protocol === 3 ? FLAG_RESP3 : 0) | (engine.wantsEffects() ? FLAG_EFFECTS : 0);
    if (engine.openRecordLsn !== undefined && (flags & FLAG_EFFECTS) !== 0) flags |= FLAG_GATE;
    return flags;
  }

  /**
   * Whether the core may run this session's commands itself: not while its
   * client has a transaction or subscription open (the client must see each
   * command), nor while keyspace notifications are on (the handlers publish
   * them).
   */
  private nativeAllowed(session: Session): boolean {
    return plainSession(session) && this.engine.notifyFlags === 0;
  }

  /** Runs every complete command in `input` (RESP arrays of bulk strings). */
  executeResp(session: Session, input: Uint8Array): BatchResult {
    // Inside a transaction or a subscription every command must pass through
    // the client; nested calls run in JS too.
    if (this.running || !this.nativeAllowed(session)) return this.executeNested(session, input);
    this.running = true;
    try {
      return this.run(session, input);
    } finally {
      this.running = false;
      this.engine.hub.serveReady();
    }
  }

  /**
   * Runs the commands at the start of `input` that the core runs natively,
   * and stops at the first one it does not (or at an incomplete or
   * malformed one): `consumed` says where, and the host goes on from there
   * with its own parser. This is how the server hands socket bytes straight
   * to the core. Returns consumed 0 when the session's commands must not run
   * natively now. With `into`, the replies are appended to it straight from
   * the core's output (no copy of their own: a server's connection writer)
   * and the result's `replies` is empty.
   */
  executeNativePrefix(session: Session, input: Uint8Array, into?: RespWriter): BatchResult {
    if (this.running || !this.nativeAllowed(session) || input.length === 0) {
      return { replies: EMPTY, count: 0, errors: 0, consumed: 0 };
    }
    this.running = true;
    try {
      return this.run(session, input, true, into);
    } finally {
      this.running = false;
      // A native push can make a key ready for clients blocked on it (BLPOP):
      // serve them, as Client.execute does after a command, once the replies
      // are out of the core's output buffer (serving uses it).
      this.engine.hub.serveReady();
    }
  }

  /**
   * Hands the core's per-command counts of the last native run to the
   * engine's native-call observers (commandstats), with the run's time
   * shared out evenly, then zeroes them.
   */
  private reportNativeCalls(ran: number, micros: number): void {
    const observers = this.engine.nativeCallObservers;
    if (ran === 0 || observers.length === 0) return;
    const view = this.core.dataView();
    const at = this.x.exec_call_counts();
    for (let id = 1; id < NATIVE_COMMAND_NAMES.length; id++) {
      const calls = view.getUint32(at + id * 8, true);
      if (calls === 0) continue;
      const errors = view.getUint32(at + id * 8 + 4, true);
      for (const observe of observers) observe(NATIVE_COMMAND_NAMES[id]!, calls, errors, (micros * calls) / ran);
    }
    this.core.u8().fill(0, at, at + NATIVE_COMMAND_NAMES.length * 8);
  }

  private run(session: Session, input: Uint8Array, stopAtHost = false, into?: RespWriter): BatchResult {
    const engine = this.engine;
    const core = this.core;
    const x = this.x;
    engine.drainKeyLog();
    const end = input.length;
    // exec_in can grow memory, which detaches old views: take the view after it.
    const inPtr = x.exec_in(end);
    core.u8().set(input, inPtr);
    let pos = 0;
    let count = 0;
    let errors = 0;
    let writer: RespWriter | null = null;
    const flags = this.runFlags(session);
    const ctl = this.ctl;
    for (;;) {
      x.ks_clock(engine.clock());
      // A host command between two calls may have sealed the open record.
      if ((flags & FLAG_GATE) !== 0) x.pending_set_lsn(engine.openRecordLsn!());
      const started = performance.now();
      const ran = x.exec_run(session.db, pos, end, flags, engine.maxmemory);
      this.reportNativeCalls(ran, (performance.now() - started) * 1000);
      // One view per core call: taking it re-reads memory.buffer, which is not free.
      let view = core.dataView();
      const reason = view.getInt32(ctl, true);
      const stoppedAt = view.getInt32(ctl + 4, true);
      const hostCount = view.getInt32(ctl + 8, true);
      const next = view.getInt32(ctl + 12, true);
      engine.stats.commands += ran;
      engine.stats.expiredKeys += view.getInt32(ctl + 16, true);
      errors += view.getInt32(ctl + 20, true);
      count += ran;
      if (x.exec_fx_count() > 0) {
        this.drainEffects();
        view = core.dataView();
      }
      let mem = core.u8();
      const outPtr = x.io_out_ptr();
      const outLen = x.io_out_len();
      if (reason !== STOP_HOST || stopAtHost) {
        if (into !== undefined) {
          // stopAtHost: this was the only call, so writer is null.
          into.raw(mem.subarray(outPtr, outPtr + outLen));
          return { replies: EMPTY, count, errors, consumed: stoppedAt };
        }
        if (writer === null) return { replies: mem.slice(outPtr, outPtr + outLen), count, errors, consumed: stoppedAt };
        writer.raw(mem.subarray(outPtr, outPtr + outLen));
        return { replies: writer.take(), count, errors, consumed: stoppedAt };
      }
      writer ??= new RespWriter(Math.max(256, outLen * 2));
      if (outLen > 0) writer.raw(mem.subarray(outPtr, outPtr + outLen));
      // The host runs these, in order; each one's arguments are copied out of
      // the input region first (a host command may call into the core).
      const argv = x.exec_argv();
      const records = x.exec_host();
      for (let k = 0; k < hostCount; k++) {
        if (k > 0) {
          mem = core.u8();
          view = core.dataView();
        }
        const rec = records + k * GROUP_RECORD_BYTES;
        const base = view.getUint32(rec, true);
        const argc = view.getUint32(rec + 4, true);
        const args: Uint8Array[] = new Array(argc);
        for (let i = 0; i < argc; i++) {
          const at = argv + (base + i) * 8;
          const ptr = view.getUint32(at, true);
          args[i] = mem.slice(ptr, ptr + view.getUint32(at + 4, true));
        }
        const reply = hostRun(engine, session, args);
        if (reply instanceof ErrorReply) errors++;
        writer.write(reply, session.protocol);
        count++;
      }
      pos = next;
      if (pos >= end) return { replies: writer.take(), count, errors, consumed: end };
      if (!this.nativeAllowed(session)) {
        // A host command opened a transaction or a subscription: the rest
        // must be queued or refused by the client, so it goes through JS.
        const rest = this.executeNested(session, input.subarray(pos));
        writer.raw(rest.replies);
        return { replies: writer.take(), count: count + rest.count, errors: errors + rest.errors, consumed: pos + rest.consumed };
      }
    }
  }

  /** Effect records the core wrote, as a log payload (runtime/log/payload.ts). */
  private drainEffects(): void {
    const x = this.x;
    const ptr = x.exec_fx_ptr();
    const region = this.core.u8().subarray(ptr, ptr + x.exec_fx_len());
    const sink = this.engine.effectRegionSink();
    if (sink !== undefined) {
      sink(region, x.exec_fx_count());
      return;
    }
    // Decoded (copied) before any is emitted: an observer may call into the core.
    for (const record of decodeEffects(region)) this.engine.emit(record);
  }

  /**
   * A batch inside a batch (a host-run command that runs commands): the input
   * region is in use, so each command is parsed here and run on its own.
   */
  private executeNested(session: Session, input: Uint8Array): BatchResult {
    const writer = new RespWriter();
    let at = 0;
    let count = 0;
    let errors = 0;
    while (at < input.length) {
      let parsed;
      try {
        parsed = parseValue(input, at);
      } catch {
        break;
      }
      if (parsed === "incomplete") break;
      const v = parsed.value;
      if (v.type !== "array" || v.value === null || !v.value.every((a) => a.type === "bulk" && a.value !== null)) break;
      const args = v.value.map((a) => (a as { value: Uint8Array }).value);
      const reply: Reply = hostRun(this.engine, session, args);
      if (reply instanceof ErrorReply) errors++;
      writer.write(reply, session.protocol);
      count++;
      at += parsed.consumed;
    }
    return { replies: writer.take(), count, errors, consumed: at };
  }
}

/**
 * Runs a command the core hands back, through the session's client when it
 * has one (so MULTI queues it and WATCH sees it), else through the engine.
 */
function hostRun(engine: Engine, session: Session, args: Uint8Array[]): Reply {
  const client = session.client;
  if (client === undefined) return engine.execute(session, args);
  const outcome = client.execute(args);
  if (typeof outcome === "symbol") return new ErrorReply("ERR this command cannot run inside a batch");
  return outcome;
}

/** A session whose commands may run natively: no client, or a client with nothing in progress. */
function plainSession(session: Session): boolean {
  return session.client === undefined || session.client.plain;
}
