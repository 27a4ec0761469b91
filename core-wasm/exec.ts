// The batched executor: RESP commands in, RESP replies out, in one call.
//
// The host writes commands into the input region (exec_in) as RESP arrays of
// bulk strings, exactly what clients send over a socket, and calls exec_run.
// The core parses each command, runs it if it is one it knows natively, and
// appends its reply (RESP2, or RESP3 nulls when asked) to the output buffer.
// It stops at the first command it cannot run by itself and hands it back:
//
//   STOP_END        every complete command was run; position = end.
//   STOP_HOST       the command at `position`, and the `count` commands
//                   from it that all need the host (a run of them, up to a
//                   group), must go through the host's dispatcher. Their
//                   group records (exec_host: [argBase u32][argc u32]
//                   [start u32][end u32][cmd u32][hash u32] each) index the
//                   argv table (exec_argv: [ptr u32][len u32] per argument,
//                   pointing into the input region). The host runs them in
//                   order, then calls exec_run from `next`.
//   STOP_INCOMPLETE the command at `position` has not fully arrived.
//   STOP_MALFORMED  the bytes at `position` are not an array of bulk strings
//                   (an inline command, a protocol error): the host's own
//                   parser takes over there.
//
// Results of a call, in the control block's i32 slots:
//   0 stop reason, 1 position, 2 count of STOP_HOST commands, 3 next,
//   4 keys deleted by lazy expiry, 5 error replies written.
//
// A native command must give the same reply, the same changes and the same
// effect records as its handler in runtime/commands/. So the logic of each is
// the keyspace's (keyspace.ts, counter.ts) and both paths call it; error
// texts are registered by the host from its one table (exec_set_text).
// The executor runs a command only when nothing about it needs the host:
// a known name with its plain arity (SET with options goes to the host),
// and, with maxmemory set, only reads while memory is under the limit
// (writes always go to the host, which evicts or refuses them). On a
// follower (hideExpired, outside replay) writes go to the host too: it runs
// them with expired keys deleted on access, where a native write would find
// a hidden key absent and add it a second time.
//
// Effect records of native writes, and DEL records for keys deleted by lazy
// expiry, are appended in order to the effect region when the host asks for
// them (FLAG_EFFECTS), in the log's payload format (runtime/log/payload.ts):
// per effect a RESP array of bulk strings, the database in decimal and then
// the command's arguments, so a durable primary copies the region into its
// open record as it is.
// Under a durable primary's reply gate (FLAG_GATE) the keys those records
// name become pending in the open log record, and the keys a native read
// names raise the run's read wait (pending.ts).
//
// Adding a native command: a NAME_ constant (its lower-case name as
// little-endian bytes), a CMD_ id, a line in nativeCommand (arity) and in
// isWrite, and a case in runCommand calling the type's module (the same
// function its JS handler calls through its own export).

import { alloc, realloc, free, mem_used } from "./mem";
import { state } from "./state";
import { out_reset, out_reserve, ctlSetI32 } from "./io";
import {
  KEYLOG_NEW, ks_find, findHashed, ks_set_string, ks_delete, ks_delete_entry, ks_keylog_ptr, ks_keylog_count, ks_keylog_reset,
  entryType, entryStringPtr, entryStringLength, entryKeyLength, bucketSlot, LOOKUP_NOTOUCH, E_KEY,
  ks_add_object, entryObject,
} from "./keyspace";
import { TYPE_STRING, TYPE_HASH, TYPE_ZSET, TYPE_LIST, TYPE_SET } from "./types";
import { list_new, list_push, list_len, listEndElement, listDropEndElement } from "./list";
import { set_new, set_add } from "./set";
import { hash_new, hash_set } from "./hash";
import { zs_rank, zs_new, zs_add, zs_len, zsNodeAtIndex, zsNextNode, nodeScore, nodeMember, nodeMemberLen } from "./zset";

// The hash table encoding tag (runtime/commands/collections.ts ENC_HASHTABLE).
// @ts-ignore: decorator
@inline const ENC_HASHTABLE: u32 = 0;
// The sorted set encoding tag (runtime/commands/zsets.ts ENC_SKIPLIST).
// @ts-ignore: decorator
@inline const ENC_SKIPLIST: u32 = 0;
// The list encoding tag (runtime/commands/lists.ts ENC_QUICKLIST).
// @ts-ignore: decorator
@inline const ENC_QUICKLIST: u32 = 0;
import { hashBytes } from "./hashing";
import { pendingWrite, pendingRead, pendingReady } from "./pending";
import {
  parseI64, formatI64, stringIncrBy,
  INCR_OK, INCR_WRONGTYPE, INCR_NOT_INTEGER,
} from "./counter";

// ---- stop reasons, flags, texts ------------------------------------------

// @ts-ignore: decorator
@inline const STOP_END: i32 = 0;
// @ts-ignore: decorator
@inline const STOP_HOST: i32 = 1;
// @ts-ignore: decorator
@inline const STOP_INCOMPLETE: i32 = 2;
// @ts-ignore: decorator
@inline const STOP_MALFORMED: i32 = 3;

// Flags of exec_run.
// @ts-ignore: decorator
@inline const FLAG_RESP3: u32 = 1;
// @ts-ignore: decorator
@inline const FLAG_EFFECTS: u32 = 2;
// A durable primary's reply gate: note pending writes and read waits (pending.ts).
// @ts-ignore: decorator
@inline const FLAG_GATE: u32 = 4;

// Reply texts the host registers (whole RESP lines, e.g. "-WRONGTYPE ...\r\n").
// @ts-ignore: decorator
@inline const TEXT_WRONGTYPE: u32 = 0;
// @ts-ignore: decorator
@inline const TEXT_NOT_INTEGER: u32 = 1;
// @ts-ignore: decorator
@inline const TEXT_OVERFLOW: u32 = 2;
// @ts-ignore: decorator
@inline const TEXT_DECREMENT_OVERFLOW: u32 = 3;
// @ts-ignore: decorator
@inline const TEXT_COUNT: u32 = 4;

// Bounds on what the executor parses itself; anything larger goes to the host.
// @ts-ignore: decorator
@inline const ARGC_MAX: u32 = 1024 * 1024;
// @ts-ignore: decorator
@inline const BULK_BYTES_MAX: u32 = 512 * 1024 * 1024;

// ---- native commands -------------------------------------------------------

// Lower-case names as little-endian bytes (names of at most 8 bytes).
// @ts-ignore: decorator
@inline const NAME_GET: u64 = 0x746567;
// @ts-ignore: decorator
@inline const NAME_SET: u64 = 0x746573;
// @ts-ignore: decorator
@inline const NAME_INCR: u64 = 0x72636e69;
// @ts-ignore: decorator
@inline const NAME_DECR: u64 = 0x72636564;
// @ts-ignore: decorator
@inline const NAME_INCRBY: u64 = 0x796272636e69;
// @ts-ignore: decorator
@inline const NAME_DECRBY: u64 = 0x796272636564;
// @ts-ignore: decorator
@inline const NAME_MGET: u64 = 0x7465676d;
// @ts-ignore: decorator
@inline const NAME_EXISTS: u64 = 0x737473697865;
// @ts-ignore: decorator
@inline const NAME_DEL: u64 = 0x6c6564;
// @ts-ignore: decorator
@inline const NAME_HSET: u64 = 0x74657368;
// @ts-ignore: decorator
@inline const NAME_ZRANK: u64 = 0x6b6e61727a;
// @ts-ignore: decorator
@inline const NAME_ZREVRANK: u64 = 0x6b6e61727665727a;
// @ts-ignore: decorator
@inline const NAME_LPUSH: u64 = 0x687375706c;
// @ts-ignore: decorator
@inline const NAME_RPUSH: u64 = 0x6873757072;
// @ts-ignore: decorator
@inline const NAME_SADD: u64 = 0x64646173;
// @ts-ignore: decorator
@inline const NAME_LPOP: u64 = 0x706f706c;
// @ts-ignore: decorator
@inline const NAME_RPOP: u64 = 0x706f7072;
// @ts-ignore: decorator
@inline const NAME_MSET: u64 = 0x7465736d;
// @ts-ignore: decorator
@inline const NAME_ZADD: u64 = 0x6464617a;
// @ts-ignore: decorator
@inline const NAME_ZRANGE: u64 = 0x65676e61727a;

// @ts-ignore: decorator
@inline const CMD_NONE: u32 = 0;
// @ts-ignore: decorator
@inline const CMD_GET: u32 = 1;
// @ts-ignore: decorator
@inline const CMD_SET: u32 = 2;
// @ts-ignore: decorator
@inline const CMD_INCR: u32 = 3;
// @ts-ignore: decorator
@inline const CMD_DECR: u32 = 4;
// @ts-ignore: decorator
@inline const CMD_INCRBY: u32 = 5;
// @ts-ignore: decorator
@inline const CMD_DECRBY: u32 = 6;
// @ts-ignore: decorator
@inline const CMD_MGET: u32 = 7;
// @ts-ignore: decorator
@inline const CMD_EXISTS: u32 = 8;
// @ts-ignore: decorator
@inline const CMD_DEL: u32 = 9;
// @ts-ignore: decorator
@inline const CMD_HSET: u32 = 10;
// @ts-ignore: decorator
@inline const CMD_ZRANK: u32 = 11;
// @ts-ignore: decorator
@inline const CMD_ZREVRANK: u32 = 12;
// @ts-ignore: decorator
@inline const CMD_LPUSH: u32 = 13;
// @ts-ignore: decorator
@inline const CMD_RPUSH: u32 = 14;
// @ts-ignore: decorator
@inline const CMD_SADD: u32 = 15;
// @ts-ignore: decorator
@inline const CMD_LPOP: u32 = 16;
// @ts-ignore: decorator
@inline const CMD_RPOP: u32 = 17;
// @ts-ignore: decorator
@inline const CMD_MSET: u32 = 18;
// @ts-ignore: decorator
@inline const CMD_ZADD: u32 = 19;
// @ts-ignore: decorator
@inline const CMD_ZRANGE: u32 = 20;

// zs_add's result flags (zset.ts).
// @ts-ignore: decorator
@inline const ZADD_ADDED: i32 = 1;
// @ts-ignore: decorator
@inline const ZADD_UPDATED: i32 = 2;

// runCommand's results.
// @ts-ignore: decorator
@inline const RAN_READ: i32 = 0;
// @ts-ignore: decorator
@inline const RAN_WRITE: i32 = 1;
// Nothing written, no reply: the host must run it (ZRANGE WITHSCORES met a score it does not format).
// @ts-ignore: decorator
@inline const RAN_STEP_ASIDE: i32 = 2;

/** The native command these arguments call, or CMD_NONE (unknown, other arity, options). */
function nativeCommand(name: u64, count: u32): u32 {
  if (name == NAME_GET) return count == 2 ? CMD_GET : CMD_NONE;
  if (name == NAME_SET) return count == 3 ? CMD_SET : CMD_NONE;
  if (name == NAME_INCR) return count == 2 ? CMD_INCR : CMD_NONE;
  if (name == NAME_INCRBY) return count == 3 ? CMD_INCRBY : CMD_NONE;
  if (name == NAME_MGET) return count >= 2 ? CMD_MGET : CMD_NONE;
  if (name == NAME_DEL) return count >= 2 ? CMD_DEL : CMD_NONE;
  if (name == NAME_EXISTS) return count >= 2 ? CMD_EXISTS : CMD_NONE;
  if (name == NAME_DECR) return count == 2 ? CMD_DECR : CMD_NONE;
  if (name == NAME_DECRBY) return count == 3 ? CMD_DECRBY : CMD_NONE;
  // One field only: HSET with several pairs goes to the host.
  if (name == NAME_HSET) return count == 4 ? CMD_HSET : CMD_NONE;
  // Without WITHSCORE, whose reply holds a double.
  if (name == NAME_ZRANK) return count == 3 ? CMD_ZRANK : CMD_NONE;
  if (name == NAME_ZREVRANK) return count == 3 ? CMD_ZREVRANK : CMD_NONE;
  // One element or member: several go to the host.
  if (name == NAME_LPUSH) return count == 3 ? CMD_LPUSH : CMD_NONE;
  if (name == NAME_RPUSH) return count == 3 ? CMD_RPUSH : CMD_NONE;
  if (name == NAME_SADD) return count == 3 ? CMD_SADD : CMD_NONE;
  // Without a count, whose reply is an array.
  if (name == NAME_LPOP) return count == 2 ? CMD_LPOP : CMD_NONE;
  if (name == NAME_RPOP) return count == 2 ? CMD_RPOP : CMD_NONE;
  if (name == NAME_MSET) return count >= 3 && (count & 1) == 1 ? CMD_MSET : CMD_NONE;
  // Score member pairs without flags (nativeArguments checks the scores).
  if (name == NAME_ZADD) return count >= 4 && (count & 1) == 0 ? CMD_ZADD : CMD_NONE;
  // By index, with at most WITHSCORES (nativeArguments checks).
  if (name == NAME_ZRANGE) return count == 4 || count == 5 ? CMD_ZRANGE : CMD_NONE;
  return CMD_NONE;
}

/**
 * Whether the arguments of a command nativeCommand accepted are ones the
 * executor handles exactly as the host would; anything else (a ZADD flag or
 * a score that is not a plain integer, a ZRANGE option) goes to the host,
 * which also gives the errors.
 */
function nativeArguments(cmd: u32): bool {
  if (cmd == CMD_ZADD) {
    for (let i: u32 = 2; i < state.exec_argc; i += 2) {
      if (!parsePlainScore(argPtr(i), argLen(i))) return false;
    }
    return true;
  }
  if (cmd == CMD_ZRANGE) {
    if (state.exec_argc == 5 && !isWithScores(argPtr(4), argLen(4))) return false;
    return parseI64(argPtr(2), argLen(2)) && parseI64(argPtr(3), argLen(3));
  }
  return true;
}

// A score the executor parses itself: an optional '-' and 1 to 15 decimal
// digits. strtod (runtime/strtod.ts parseScore) gives exactly this integer
// (below 2^53), and -0 for "-0"; anything else goes to the host's strtod.
// The value is left in state.exec_score.
function parsePlainScore(p: usize, len: u32): bool {
  let i: u32 = 0;
  const negative = len > 0 && load<u8>(p) == 45;
  if (negative) i = 1;
  if (len == i || len - i > 15) return false;
  let v: u64 = 0;
  for (; i < len; i++) {
    const d = <u32>load<u8>(p + i) - 48;
    if (d > 9) return false;
    v = v * 10 + d;
  }
  const magnitude = <f64>v;
  state.exec_score = negative ? -magnitude : magnitude;
  return true;
}

function isWithScores(p: usize, len: u32): bool {
  if (len != 10) return false;
  // "withscores", lower-cased by setting bit 5 of each letter.
  return (load<u64>(p) | 0x2020202020202020) == 0x726f637368746977 && (load<u16>(p + 8) | 0x2020) == 0x7365;
}

/** The step between a native command's keys, from argument 1: MSET's are every other argument. */
function keyStep(cmd: u32): u32 {
  return cmd == CMD_MSET ? 2 : 1;
}

/** The last argument of a native command that may be a key: MGET, EXISTS, DEL and MSET name keys to their end, the others argument 1 only. */
function lastKeyArg(cmd: u32, argc: u32): u32 {
  return cmd == CMD_MGET || cmd == CMD_EXISTS || cmd == CMD_DEL || cmd == CMD_MSET ? argc - 1 : 1;
}

function isWrite(cmd: u32): bool {
  return cmd == CMD_SET || cmd == CMD_INCR || cmd == CMD_DECR || cmd == CMD_INCRBY ||
    cmd == CMD_DECRBY || cmd == CMD_DEL || cmd == CMD_HSET || cmd == CMD_LPUSH || cmd == CMD_RPUSH ||
    cmd == CMD_SADD || cmd == CMD_LPOP || cmd == CMD_RPOP || cmd == CMD_MSET || cmd == CMD_ZADD;
}

// ---- regions -------------------------------------------------------------------

// The executor's variables are fields of the core's state block (state.ts),
// so that a memory image carries them; these are their initial values.
state.exec_inPtr = alloc(4096);
state.exec_inCap = 4096;
state.exec_argvPtr = alloc(64 * 8);
state.exec_argvCap = 64;
state.exec_fxPtr = alloc(4096);
state.exec_fxCap = 4096;




const texts: usize = memory.data(<i32>TEXT_COUNT * 8, 8);

/** The input region, with room for at least `size` bytes; its contents are kept when it grows. */
export function exec_in(size: usize): usize {
  if (size > state.exec_inCap) {
    let cap = state.exec_inCap;
    while (cap < size) cap <<= 1;
    state.exec_inPtr = realloc(state.exec_inPtr, cap);
    state.exec_inCap = cap;
  }
  return state.exec_inPtr;
}

/** The argument table: [ptr u32][len u32] per argument, indexed by the group records' argBase. */
export function exec_argv(): usize {
  return state.exec_argvPtr;
}

/** The group record of the first command a STOP_HOST hands back; the others follow it. */
export function exec_host(): usize {
  return state.exec_hostRecord;
}

/** Effect records written by the last exec_run (FLAG_EFFECTS). */
export function exec_fx_ptr(): usize { return state.exec_fxPtr; }
export function exec_fx_len(): usize { return state.exec_fxLen; }
export function exec_fx_count(): u32 { return state.exec_fxCount; }

/** Registers reply text `id` (a whole RESP line); called once by the host. */
export function exec_set_text(id: u32, ptr: usize, len: u32): void {
  if (id >= TEXT_COUNT) return;
  // A restored image already holds the texts: a second registration (each
  // host's runner registers them) replaces the copy instead of leaking one.
  const previous = <usize>load<u32>(texts + (<usize>id << 3));
  if (previous != 0) free(previous);
  const copy = alloc(<usize>len);
  memory.copy(copy, ptr, len);
  store<u32>(texts + (<usize>id << 3), <u32>copy);
  store<u32>(texts + (<usize>id << 3) + 4, len);
}

// ---- replies ---------------------------------------------------------------

/**
 * Copies bytes; short runs by 8-byte words in place of memory.copy, which V8
 * compiles to a call out of Wasm that costs more than copying a key does.
 */
function copyBytes(dst: usize, src: usize, len: usize): void {
  if (len > 64) {
    memory.copy(dst, src, len);
    return;
  }
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) store<u64>(dst + i, load<u64>(src + i));
  for (; i < len; i++) store<u8>(dst + i, load<u8>(src + i));
}


function decimalLength(v: u64): u32 {
  let len: u32 = 1;
  while (v >= 10) {
    v /= 10;
    len++;
  }
  return len;
}

/** Writes prefix, decimal n, CRLF. */
function replyLine(prefix: u8, n: i64): void {
  const magnitude = n < 0 ? <u64>0 - <u64>n : <u64>n;
  const len = decimalLength(magnitude) + (n < 0 ? 1 : 0);
  const at = out_reserve(<usize>len + 3);
  store<u8>(at, prefix);
  formatI64(at + 1, n);
  store<u16>(at + 1 + len, 0x0a0d);
}

function replyInteger(n: i64): void {
  replyLine(58, n); // ':'
}

function replyNull(): void {
  if (state.exec_resp3) {
    const at = out_reserve(3);
    store<u16>(at, 0x0d5f); // "_\r"
    store<u8>(at + 2, 10);
  } else {
    const at = out_reserve(5);
    store<u32>(at, 0x0d312d24); // "$-1\r"
    store<u8>(at + 4, 10);
  }
}

function replyOk(): void {
  const at = out_reserve(5);
  store<u32>(at, 0x0d4b4f2b); // "+OK\r"
  store<u8>(at + 4, 10);
}

/** Digits of a length: 32-bit arithmetic, and the common short cases first. */
function lengthDigits(v: u32): u32 {
  if (v < 10) return 1;
  if (v < 100) return 2;
  if (v < 1000) return 3;
  let n: u32 = 4;
  for (let x = v / 10000; x != 0; x /= 10) n++;
  return n;
}

function writeLength(p: usize, v: u32, digits: u32): void {
  let at = p + digits;
  do {
    at--;
    store<u8>(at, <u8>(48 + v % 10));
    v /= 10;
  } while (v != 0);
}

/** Writes "$<len>\r\n<bytes>\r\n" at `at`, which has room for its digits + 5 + len bytes. */
function writeBulk(at: usize, p: usize, len: u32, digits: u32): void {
  store<u8>(at, 36); // '$'
  writeLength(at + 1, len, digits);
  store<u16>(at + 1 + digits, 0x0a0d);
  copyBytes(at + 3 + digits, p, len);
  store<u16>(at + 3 + digits + len, 0x0a0d);
}

function replyBulk(p: usize, len: u32): void {
  const digits = lengthDigits(len);
  writeBulk(out_reserve(<usize>digits + 5 + <usize>len), p, len, digits);
}

function replyText(id: u32): void {
  const p = <usize>load<u32>(texts + (<usize>id << 3));
  const len = <usize>load<u32>(texts + (<usize>id << 3) + 4);
  memory.copy(out_reserve(len), p, len);
  state.exec_errorReplies++;
}

// ---- effect records -------------------------------------------------------------

function fxReserve(n: usize): usize {
  const need = state.exec_fxLen + n;
  if (need > state.exec_fxCap) {
    let cap = state.exec_fxCap;
    while (cap < need) cap <<= 1;
    state.exec_fxPtr = realloc(state.exec_fxPtr, cap);
    state.exec_fxCap = cap;
  }
  const at = state.exec_fxPtr + state.exec_fxLen;
  state.exec_fxLen = need;
  return at;
}

/** An effect of `count` arguments in database `dbIndex`: "*<count + 1>\r\n", then the database as a bulk string. */
function fxBegin(dbIndex: u32, count: u32): void {
  const countDigits = lengthDigits(count + 1);
  const dbDigits = lengthDigits(dbIndex);
  const dbLenDigits = lengthDigits(dbDigits);
  let at = fxReserve(<usize>(countDigits + dbLenDigits + dbDigits + 8));
  store<u8>(at, 42); // '*'
  writeLength(at + 1, count + 1, countDigits);
  at += 1 + countDigits;
  store<u16>(at, 0x0a0d);
  store<u8>(at + 2, 36); // '$'
  writeLength(at + 3, dbDigits, dbLenDigits);
  at += 3 + dbLenDigits;
  store<u16>(at, 0x0a0d);
  writeLength(at + 2, dbIndex, dbDigits);
  store<u16>(at + 2 + dbDigits, 0x0a0d);
  state.exec_fxCount++;
}

/** An argument as a bulk string. */
function fxArg(p: usize, len: u32): void {
  const digits = lengthDigits(len);
  writeBulk(fxReserve(<usize>digits + 5 + <usize>len), p, len, digits);
}

/** An argument of three ASCII letters, packed little-endian ("SET", "DEL"): "$3\r\nSET\r\n". */
function fxWord3(word: u32): void {
  const at = fxReserve(9);
  store<u32>(at, 0x0a0d3324); // "$3\r\n"
  store<u32>(at + 4, word | 0x0d000000); // the word and '\r'
  store<u8>(at + 8, 10);
}

// @ts-ignore: decorator
@inline const WORD_SET: u32 = 0x544553;
// @ts-ignore: decorator
@inline const WORD_DEL: u32 = 0x4c4544;

/** The command's own arguments as its effect. */
function fxCommand(dbIndex: u32): void {
  fxBegin(dbIndex, state.exec_argc);
  for (let i: u32 = 0; i < state.exec_argc; i++) fxArg(argPtr(i), argLen(i));
}


/** Keys the keyspace deleted on its own during the command become DEL records, first. */
function drainKeyLog(): void {
  const count = ks_keylog_count();
  if (count == 0) return;
  state.exec_expiredKeys += count;
  if (state.exec_recordEffects) {
    let at = ks_keylog_ptr();
    // Records are [db u32][reason u32][len u32][key] (keyspace.ts); only
    // expiry deletes keys here, eviction runs in the host.
    for (let i: u32 = 0; i < count; i++) {
      const dbIndex = load<u32>(at);
      const reason = load<u32>(at + 4);
      const len = load<u32>(at + 8);
      // "New key" entries exist only while keyspace notifications are on,
      // and then the host runs every command itself.
      if (reason != KEYLOG_NEW) {
        fxBegin(dbIndex, 2);
        fxWord3(WORD_DEL);
        fxArg(at + 12, len);
        if (state.exec_gate) pendingWrite(dbIndex, hashBytes(at + 12, len));
      }
      at += 12 + <usize>len;
    }
  }
  ks_keylog_reset();
}

// ---- parsing --------------------------------------------------------------------

// The argv table holds the arguments of every command of the current group,
// one after another; `argBase` is where the running command's begin.

function argPtr(i: u32): usize {
  return <usize>load<u32>(state.exec_argvPtr + (<usize>(state.exec_argBase + i) << 3));
}
function argLen(i: u32): u32 {
  return load<u32>(state.exec_argvPtr + (<usize>(state.exec_argBase + i) << 3) + 4);
}


/**
 * Reads a non-negative decimal up to CRLF starting at p. Returns the position
 * after the CRLF, 0 if the line has not fully arrived, or -1 (as usize max) if
 * it is not a plain number.
 */
function readLength(p: usize, end: usize): usize {
  let v: u64 = 0;
  let digits: u32 = 0;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == 13) {
      if (p + 1 >= end) return 0;
      if (load<u8>(p + 1) != 10 || digits == 0) return usize.MAX_VALUE;
      state.exec_lineValue = <u32>v;
      return p + 2;
    }
    const d = c - 48;
    if (d > 9 || digits >= 10) return usize.MAX_VALUE;
    v = v * 10 + d;
    if (v > 0xffffffff) return usize.MAX_VALUE;
    digits++;
    p++;
  }
  return 0;
}

/**
 * Parses the command at p into the argv table from index `base`; returns a
 * STOP_ code, or -1 when complete (then argc and parseEnd are set).
 */
function parseCommand(p: usize, end: usize, base: u32): i32 {
  if (p >= end) return STOP_INCOMPLETE;
  if (load<u8>(p) != 42) return STOP_MALFORMED; // '*'
  let q = readLength(p + 1, end);
  if (q == 0) return STOP_INCOMPLETE;
  if (q == usize.MAX_VALUE || state.exec_lineValue > ARGC_MAX) return STOP_MALFORMED;
  const count = state.exec_lineValue;
  if (base + count > state.exec_argvCap) {
    let cap = state.exec_argvCap;
    while (cap < base + count) cap <<= 1;
    state.exec_argvPtr = realloc(state.exec_argvPtr, <usize>cap << 3);
    state.exec_argvCap = cap;
  }
  for (let i: u32 = 0; i < count; i++) {
    if (q >= end) return STOP_INCOMPLETE;
    if (load<u8>(q) != 36) return STOP_MALFORMED; // '$'
    const r = readLength(q + 1, end);
    if (r == 0) return STOP_INCOMPLETE;
    if (r == usize.MAX_VALUE || state.exec_lineValue > BULK_BYTES_MAX) return STOP_MALFORMED;
    const len = state.exec_lineValue;
    if (r + <usize>len + 2 > end) return STOP_INCOMPLETE;
    if (load<u16>(r + len) != 0x0a0d) return STOP_MALFORMED;
    store<u32>(state.exec_argvPtr + (<usize>(base + i) << 3), <u32>r);
    store<u32>(state.exec_argvPtr + (<usize>(base + i) << 3) + 4, len);
    q = r + <usize>len + 2;
  }
  state.exec_argc = count;
  state.exec_parseEnd = q;
  return -1;
}

function nameCode(p: usize, len: u32): u64 {
  if (len == 0 || len > 8) return 0;
  let code: u64 = 0;
  for (let i: u32 = 0; i < len; i++) {
    let c = <u32>load<u8>(p + i);
    if (c - 65 < 26) c += 32;
    code |= <u64>c << (<u64>i << 3);
  }
  return code;
}

// ---- running -------------------------------------------------------------------

function replyIncr(status: i32): void {
  if (status == INCR_OK) replyInteger(state.incrResult);
  else if (status == INCR_WRONGTYPE) replyText(TEXT_WRONGTYPE);
  else if (status == INCR_NOT_INTEGER) replyText(TEXT_NOT_INTEGER);
  else replyText(TEXT_OVERFLOW);
}

// Calls and error replies per native command id since the host last read
// them (INFO commandstats and LATENCY HISTOGRAM count native commands too):
// [calls u32][errors u32] per id.
// @ts-ignore: decorator
@inline const CMD_COUNT: u32 = 21;
const callCounts: usize = memory.data(<i32>CMD_COUNT * 8, 8);

function countCall(cmd: u32, failed: bool): void {
  const at = callCounts + (<usize>cmd << 3);
  store<u32>(at, load<u32>(at) + 1);
  if (failed) store<u32>(at + 4, load<u32>(at + 4) + 1);
}

/** Where the per-command [calls, errors] counters are; the host reads and zeroes them. */
export function exec_call_counts(): usize {
  return callCounts;
}

/** The live entry of the command's key (argument 1), using the hash warmGroup computed. */
function keyEntry(dbIndex: u32): usize {
  return state.exec_argHashKnown
    ? findHashed(dbIndex, argPtr(1), argLen(1), state.exec_argHash, 0)
    : ks_find(dbIndex, argPtr(1), argLen(1), 0);
}

/**
 * Under FLAG_GATE, after a native command ran: the keys its effect names
 * become pending with the open record's LSN, and the keys a read names
 * raise the run's read wait (pending.ts). A write that changed nothing has
 * no effect and notes nothing, but counts as a write command.
 */
function gateCommand(cmd: u32, dbIndex: u32, result: i32): void {
  const write = isWrite(cmd);
  if (write) state.pend_writeCommands++;
  if (write && result != RAN_WRITE) return;
  const step = keyStep(cmd);
  const last = lastKeyArg(cmd, state.exec_argc);
  for (let i: u32 = 1; i <= last; i += step) {
    // warmGroup hashed argument 1 of most commands already.
    const hash = i == 1 && state.exec_argHashKnown ? state.exec_argHash : hashBytes(argPtr(i), argLen(i));
    if (write) pendingWrite(dbIndex, hash);
    else pendingRead(dbIndex, hash);
  }
}

/** Runs a native command on the parsed argv: RAN_WRITE if it changed data (it has an effect), RAN_READ, or RAN_STEP_ASIDE. */
function runCommand(cmd: u32, dbIndex: u32): i32 {
  if (cmd == CMD_GET) {
    const e = state.exec_argHashKnown
      ? findHashed(dbIndex, argPtr(1), argLen(1), state.exec_argHash, 0)
      : ks_find(dbIndex, argPtr(1), argLen(1), 0);
    if (e == 0) replyNull();
    else if (entryType(e) != TYPE_STRING) replyText(TEXT_WRONGTYPE);
    else replyBulk(entryStringPtr(e), entryStringLength(e));
    return RAN_READ;
  }
  if (cmd == CMD_SET) {
    ks_set_string(dbIndex, argPtr(1), argLen(1), argPtr(2), argLen(2), false);
    replyOk();
    return RAN_WRITE;
  }
  if (cmd == CMD_INCR || cmd == CMD_DECR) {
    const status = stringIncrBy(dbIndex, argPtr(1), argLen(1), cmd == CMD_INCR ? 1 : -1);
    replyIncr(status);
    return status == INCR_OK ? RAN_WRITE : RAN_READ;
  }
  if (cmd == CMD_INCRBY || cmd == CMD_DECRBY) {
    if (!parseI64(argPtr(2), argLen(2))) {
      replyText(TEXT_NOT_INTEGER);
      return RAN_READ;
    }
    let delta = state.parsedI64;
    if (cmd == CMD_DECRBY) {
      if (delta == i64.MIN_VALUE) {
        replyText(TEXT_DECREMENT_OVERFLOW);
        return RAN_READ;
      }
      delta = -delta;
    }
    const status = stringIncrBy(dbIndex, argPtr(1), argLen(1), delta);
    replyIncr(status);
    return status == INCR_OK ? RAN_WRITE : RAN_READ;
  }
  if (cmd == CMD_MGET) {
    replyLine(42, <i64>(state.exec_argc - 1)); // '*'
    for (let i: u32 = 1; i < state.exec_argc; i++) {
      const e = ks_find(dbIndex, argPtr(i), argLen(i), 0);
      if (e == 0 || entryType(e) != TYPE_STRING) replyNull();
      else replyBulk(entryStringPtr(e), entryStringLength(e));
    }
    return RAN_READ;
  }
  if (cmd == CMD_EXISTS) {
    let n: i64 = 0;
    for (let i: u32 = 1; i < state.exec_argc; i++) {
      if (ks_find(dbIndex, argPtr(i), argLen(i), LOOKUP_NOTOUCH) != 0) n++;
    }
    replyInteger(n);
    return RAN_READ;
  }
  if (cmd == CMD_HSET) {
    // As runtime/commands/hashes.ts: create the hash if absent, then hash_set.
    const e = keyEntry(dbIndex);
    let h: usize;
    if (e == 0) {
      h = hash_new();
      ks_add_object(dbIndex, argPtr(1), argLen(1), TYPE_HASH, ENC_HASHTABLE, h);
    } else if (entryType(e) != TYPE_HASH) {
      replyText(TEXT_WRONGTYPE);
      return RAN_READ;
    } else {
      h = entryObject(e);
    }
    replyInteger(<i64>hash_set(h, argPtr(2), argLen(2), argPtr(3), argLen(3), false));
    return RAN_WRITE;
  }
  if (cmd == CMD_LPUSH || cmd == CMD_RPUSH) {
    // As runtime/commands/lists.ts pushElements: create the list if absent, push.
    const e = keyEntry(dbIndex);
    let l: usize;
    if (e == 0) {
      l = list_new();
      ks_add_object(dbIndex, argPtr(1), argLen(1), TYPE_LIST, ENC_QUICKLIST, l);
    } else if (entryType(e) != TYPE_LIST) {
      replyText(TEXT_WRONGTYPE);
      return RAN_READ;
    } else {
      l = entryObject(e);
    }
    replyInteger(<i64>list_push(l, cmd == CMD_LPUSH ? 0 : 1, argPtr(2), argLen(2)));
    return RAN_WRITE;
  }
  if (cmd == CMD_SADD) {
    // As runtime/commands/sets.ts SADD: create the set if absent, add; a write only if added.
    const e = keyEntry(dbIndex);
    let set: usize;
    if (e == 0) {
      set = set_new();
      ks_add_object(dbIndex, argPtr(1), argLen(1), TYPE_SET, ENC_HASHTABLE, set);
    } else if (entryType(e) != TYPE_SET) {
      replyText(TEXT_WRONGTYPE);
      return RAN_READ;
    } else {
      set = entryObject(e);
    }
    const added = set_add(set, argPtr(2), argLen(2));
    replyInteger(<i64>added);
    return added > 0 ? RAN_WRITE : RAN_READ;
  }
  if (cmd == CMD_ZRANK || cmd == CMD_ZREVRANK) {
    // As runtime/commands/zsets.ts's ZRANK without WITHSCORE.
    const e = keyEntry(dbIndex);
    if (e == 0) replyNull();
    else if (entryType(e) != TYPE_ZSET) replyText(TEXT_WRONGTYPE);
    else {
      const rank = zs_rank(entryObject(e), argPtr(2), argLen(2), cmd == CMD_ZREVRANK ? 1 : 0);
      if (rank < 0) replyNull();
      else replyInteger(<i64>rank);
    }
    return RAN_READ;
  }
  if (cmd == CMD_LPOP || cmd == CMD_RPOP) {
    // As runtime/commands/lists.ts popCommand without a count: pop one,
    // delete the key if the list is left empty.
    const e = keyEntry(dbIndex);
    if (e == 0) {
      replyNull();
      return RAN_READ;
    }
    if (entryType(e) != TYPE_LIST) {
      replyText(TEXT_WRONGTYPE);
      return RAN_READ;
    }
    const l = entryObject(e);
    const where: u32 = cmd == CMD_LPOP ? 0 : 1;
    replyBulk(listEndElement(l, where), state.listElementLength);
    listDropEndElement(l, where);
    if (list_len(l) == 0) ks_delete_entry(dbIndex, e);
    return RAN_WRITE;
  }
  if (cmd == CMD_MSET) {
    for (let i: u32 = 1; i < state.exec_argc; i += 2) {
      ks_set_string(dbIndex, argPtr(i), argLen(i), argPtr(i + 1), argLen(i + 1), false);
    }
    replyOk();
    return RAN_WRITE;
  }
  if (cmd == CMD_ZADD) {
    // As runtime/commands/zsets.ts zaddGeneric without flags: create the set
    // if absent (compact or not by the first member), add each pair.
    const e = keyEntry(dbIndex);
    let zs: usize;
    if (e == 0) {
      zs = zs_new(<i32>argLen(3));
      ks_add_object(dbIndex, argPtr(1), argLen(1), TYPE_ZSET, ENC_SKIPLIST, zs);
    } else if (entryType(e) != TYPE_ZSET) {
      replyText(TEXT_WRONGTYPE);
      return RAN_READ;
    } else {
      zs = entryObject(e);
    }
    let added: i64 = 0;
    let changed = false;
    for (let i: u32 = 2; i < state.exec_argc; i += 2) {
      parsePlainScore(argPtr(i), argLen(i));
      const result = zs_add(zs, argPtr(i + 1), argLen(i + 1), state.exec_score, 0);
      if ((result & ZADD_ADDED) != 0) added++;
      if ((result & (ZADD_ADDED | ZADD_UPDATED)) != 0) changed = true;
    }
    replyInteger(added);
    return changed ? RAN_WRITE : RAN_READ;
  }
  if (cmd == CMD_ZRANGE) return zrangeByIndex(dbIndex);
  if (cmd == CMD_DEL) {
    let n: i64 = 0;
    for (let i: u32 = 1; i < state.exec_argc; i++) n += ks_delete(dbIndex, argPtr(i), argLen(i));
    replyInteger(n);
    return n > 0 ? RAN_WRITE : RAN_READ;
  }
  unreachable();
  return RAN_READ;
}

/**
 * ZRANGE key start stop [WITHSCORES], as runtime/commands/zsets.ts
 * zrangeGeneric by rank: clamp as clampRanks does, then write the members
 * (and scores) from the nodes. A score WITHSCORES would print in a form
 * other than a plain integer steps aside: the host formats it (%.17g).
 */
function zrangeByIndex(dbIndex: u32): i32 {
  const e = keyEntry(dbIndex);
  if (e == 0) {
    replyLine(42, 0); // '*'
    return RAN_READ;
  }
  if (entryType(e) != TYPE_ZSET) {
    replyText(TEXT_WRONGTYPE);
    return RAN_READ;
  }
  const zs = entryObject(e);
  const length = <i64>zs_len(zs);
  parseI64(argPtr(2), argLen(2));
  let start = state.parsedI64;
  parseI64(argPtr(3), argLen(3));
  let end = state.parsedI64;
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) {
    replyLine(42, 0);
    return RAN_READ;
  }
  if (end >= length) end = length - 1;
  const count = <u32>(end - start + 1);
  const withScores = state.exec_argc == 5;
  const outBefore = state.outLen;
  replyLine(42, withScores && !state.exec_resp3 ? <i64>count * 2 : <i64>count);
  let x = zsNodeAtIndex(zs, <u32>start, 0);
  for (let i: u32 = 0; i < count; i++) {
    if (withScores) {
      const score = nodeScore(x);
      // Integers below 2^53 print as their digits under %.17g ("-0" for -0).
      if (!(Math.abs(score) < 9007199254740992.0) || Math.floor(score) != score) {
        state.outLen = outBefore;
        return RAN_STEP_ASIDE;
      }
      if (state.exec_resp3) {
        const at = out_reserve(4);
        store<u32>(at, 0x0a0d322a); // "*2\r\n"
      }
      replyBulk(nodeMember(x), nodeMemberLen(x));
      replyScore(score);
    } else {
      replyBulk(nodeMember(x), nodeMemberLen(x));
    }
    x = zsNextNode(x, 0);
  }
  return RAN_READ;
}

/** An integer-valued score as a RESP3 double or a RESP2 bulk string. */
function replyScore(score: f64): void {
  const negativeZero = score == 0 && (reinterpret<u64>(score) >> 63) != 0;
  const n = <i64>score;
  const len = negativeZero ? 2 : decimalLength(n < 0 ? <u64>0 - <u64>n : <u64>n) + (n < 0 ? 1 : 0);
  if (state.exec_resp3) {
    const at = out_reserve(<usize>len + 3);
    store<u8>(at, 44); // ','
    writeScore(at + 1, n, negativeZero);
    store<u16>(at + 1 + len, 0x0a0d);
  } else {
    const digits = lengthDigits(len);
    const at = out_reserve(<usize>len + 5 + <usize>digits);
    store<u8>(at, 36); // '$'

    writeLength(at + 1, len, digits);
    store<u16>(at + 1 + digits, 0x0a0d);
    writeScore(at + 3 + digits, n, negativeZero);
    store<u16>(at + 3 + digits + len, 0x0a0d);
  }
}

function writeScore(at: usize, n: i64, negativeZero: bool): void {
  if (negativeZero) store<u16>(at, 0x302d); // "-0"
  else formatI64(at, n);
}

// ---- groups ------------------------------------------------------------------

// Commands are parsed GROUP at a time. Before running a group, the executor
// warms the cache for its keys in separate tight loops: it computes every
// key's hash and bucket slot, then reads all the slots, then the first word
// of each bucket's first entry; where that entry's hash is not the key's, it
// steps once along the chain and reads the next entry; last it reads the
// final byte of each string entry found (entries often straddle two cache
// lines). Each loop's loads are independent and few instructions apart, so
// the CPU keeps many misses in flight at once, and the lookups that follow
// mostly hit the cache. (One loop doing all of it per key would fit only a
// few keys in the CPU's window of outstanding work.)
// @ts-ignore: decorator
@inline const GROUP: u32 = 16;
// At most this many keys per group are warmed (multi-key commands included).
// @ts-ignore: decorator
@inline const WARM_KEYS_MAX: u32 = 64;

// Per command of the group: [argBase u32][argc u32][start u32][end u32][cmd u32][hash of argument 1 u32]
// @ts-ignore: decorator
@inline const GROUP_RECORD_BYTES: usize = 24;
const group: usize = memory.data(<i32>GROUP * <i32>GROUP_RECORD_BYTES, 8);
// Per warmed key: [slot, then entry u32][hash u32]
const warmSlots: usize = memory.data(<i32>WARM_KEYS_MAX * 8, 8);

// Whether the running command's group record holds the hash of its argument 1.

// How many commands of the group warmGroup reached (their argument-1 hash is recorded).

function warmGroup(dbIndex: u32, count: u32): void {
  let n: u32 = 0;
  state.exec_warmedCommands = 0;
  for (let g: u32 = 0; g < count && n < WARM_KEYS_MAX; g++) {
    const rec = group + <usize>g * GROUP_RECORD_BYTES;
    const cmd = load<u32>(rec + 16);
    if (cmd == CMD_NONE) break;
    state.exec_warmedCommands = g + 1;
    const base = load<u32>(rec);
    const argCount = load<u32>(rec + 4);
    const step = keyStep(cmd);
    const last = lastKeyArg(cmd, argCount);
    for (let i: u32 = 1; i <= last && n < WARM_KEYS_MAX; i += step) {
      const at = state.exec_argvPtr + (<usize>(base + i) << 3);
      const hash = hashBytes(<usize>load<u32>(at), load<u32>(at + 4));
      if (i == 1) store<u32>(rec + 20, hash);
      const slot = bucketSlot(dbIndex, hash);
      if (slot != 0) {
        store<u32>(warmSlots + (<usize>n << 3), <u32>slot);
        store<u32>(warmSlots + (<usize>n << 3) + 4, hash);
        n++;
      }
    }
  }
  // Slots -> first entries (kept in place of the slots).
  for (let i: u32 = 0; i < n; i++) {
    const at = warmSlots + (<usize>i << 3);
    store<u32>(at, load<u32>(<usize>load<u32>(at)));
  }
  // First entries' hashes; one step along the chain where it is not the key's.
  for (let i: u32 = 0; i < n; i++) {
    const at = warmSlots + (<usize>i << 3);
    const e = <usize>load<u32>(at);
    if (e != 0 && load<u32>(e + 4) != load<u32>(at + 4)) store<u32>(at, load<u32>(e));
  }
  let sink: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e = <usize>load<u32>(warmSlots + (<usize>i << 3));
    if (e != 0) sink += load<u32>(e + 4);
  }
  for (let i: u32 = 0; i < n; i++) {
    const e = <usize>load<u32>(warmSlots + (<usize>i << 3));
    if (e != 0 && entryType(e) == TYPE_STRING) {
      const bytes = <usize>entryKeyLength(e) + <usize>entryStringLength(e);
      if (bytes > 0) sink += <u32>load<u8>(e + E_KEY + bytes - 1);
    }
  }
  // A store keeps the warm-up loads from being optimised away.
  store<u32>(warmSlots, sink);
}

/**
 * Runs the commands in input[start, end) in database `dbIndex` until one
 * needs the host or the input ends; returns how many it ran. `maxmemory` > 0
 * sends every write, and every command once memory is over it, to the host.
 */
export function exec_run(dbIndex: u32, start: u32, end: u32, flags: u32, maxmemory: f64): u32 {
  out_reset();
  state.exec_fxLen = 0;
  state.exec_fxCount = 0;
  state.exec_expiredKeys = 0;
  state.exec_errorReplies = 0;
  state.exec_resp3 = (flags & FLAG_RESP3) != 0;
  state.exec_recordEffects = (flags & FLAG_EFFECTS) != 0;
  state.exec_gate = (flags & FLAG_GATE) != 0 && state.exec_recordEffects && pendingReady();
  const limit = state.exec_inPtr + <usize>end;
  let p = state.exec_inPtr + <usize>start;
  let ran: u32 = 0;
  let reason = STOP_END;
  let hostNext: usize = 0;
  let hostCount: u32 = 0;
  while (p < limit && reason == STOP_END) {
    // Parse up to GROUP commands. A command the host must run ends the group,
    // together with the host commands right after it (handed back at once);
    // a native command after them waits for the next call.
    let count: u32 = 0;
    let base: u32 = 0;
    let q = p;
    let parseStop = STOP_END;
    let hostRun = false;
    while (count < GROUP && q < limit) {
      const parsed = parseCommand(q, limit, base);
      if (parsed >= 0) {
        if (!hostRun) parseStop = parsed;
        break;
      }
      state.exec_argBase = base;
      let cmd = state.exec_argc == 0 ? CMD_NONE : nativeCommand(nameCode(argPtr(0), argLen(0)), state.exec_argc);
      if (cmd != CMD_NONE && !nativeArguments(cmd)) cmd = CMD_NONE;
      if (hostRun && cmd != CMD_NONE) break;
      const rec = group + <usize>count * GROUP_RECORD_BYTES;
      store<u32>(rec, base);
      store<u32>(rec + 4, state.exec_argc);
      store<u32>(rec + 8, <u32>(q - state.exec_inPtr));
      store<u32>(rec + 12, <u32>(state.exec_parseEnd - state.exec_inPtr));
      store<u32>(rec + 16, cmd);
      base += state.exec_argc;
      count++;
      q = state.exec_parseEnd;
      if (cmd == CMD_NONE) hostRun = true;
    }
    const warmed = count > 1;
    if (warmed) warmGroup(dbIndex, count);
    for (let g: u32 = 0; g < count; g++) {
      const rec = group + <usize>g * GROUP_RECORD_BYTES;
      const cmd = load<u32>(rec + 16);
      state.exec_argBase = load<u32>(rec);
      state.exec_argc = load<u32>(rec + 4);
      state.exec_argHash = load<u32>(rec + 20);
      // warmGroup hashed argument 1 of the commands it reached (it stops at a host command or WARM_KEYS_MAX keys).
      state.exec_argHashKnown = warmed && g < state.exec_warmedCommands;
      if (cmd == CMD_NONE || (maxmemory > 0 && (isWrite(cmd) || mem_used() > maxmemory)) ||
        (state.hideExpired && !state.replaying && isWrite(cmd))) {
        // Every command after a CMD_NONE in the group is one too; a native
        // command stopped by maxmemory goes alone (the next one is checked again).
        reason = STOP_HOST;
        state.exec_hostRecord = rec;
        hostCount = cmd == CMD_NONE ? count - g : 1;
        hostNext = state.exec_inPtr + <usize>load<u32>(group + <usize>(g + hostCount - 1) * GROUP_RECORD_BYTES + 12);
        break;
      }
      const errorsBefore = state.exec_errorReplies;
      const result = runCommand(cmd, dbIndex);
      if (result == RAN_STEP_ASIDE) {
        // It changed nothing and wrote no reply: the host runs it alone.
        drainKeyLog();
        reason = STOP_HOST;
        state.exec_hostRecord = rec;
        hostCount = 1;
        hostNext = state.exec_inPtr + <usize>load<u32>(rec + 12);
        break;
      }
      countCall(cmd, state.exec_errorReplies != errorsBefore);
      drainKeyLog();
      if (state.exec_gate) gateCommand(cmd, dbIndex, result);
      if (result == RAN_WRITE && state.exec_recordEffects) {
        if (cmd == CMD_SET) {
          // The SET handler propagates a canonical upper-case SET.
          fxBegin(dbIndex, 3);
          fxWord3(WORD_SET);
          fxArg(argPtr(1), argLen(1));
          fxArg(argPtr(2), argLen(2));
        } else {
          fxCommand(dbIndex);
        }
      }
      ran++;
      p = state.exec_inPtr + <usize>load<u32>(rec + 12);
    }
    if (reason == STOP_END && parseStop != STOP_END) reason = parseStop;
  }
  drainKeyLog();
  ctlSetI32(0, reason);
  ctlSetI32(1, <i32>(p - state.exec_inPtr));
  ctlSetI32(2, reason == STOP_HOST ? <i32>hostCount : 0);
  ctlSetI32(3, reason == STOP_HOST ? <i32>(hostNext - state.exec_inPtr) : <i32>(p - state.exec_inPtr));
  ctlSetI32(4, <i32>state.exec_expiredKeys);
  ctlSetI32(5, <i32>state.exec_errorReplies);
  return ran;
}
