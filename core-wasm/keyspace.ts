// The keyspace: numbered databases of keys, each key an entry in a Dict.
//
// No mutable state outside linear memory (core-wasm/state.ts): the databases,
// the clock, the replay flag, the key log and the eviction score are fields of
// the state block. A snapshot is a copy of memory, so nothing may live in a
// Wasm global.
//
// A keyspace entry:
//
//   0  next   u32   chain link (dict)
//   4  hash   u32   (dict)
//   8  keyLen u32   (dict)
//   12 meta   u32   type (bits 0-3) | encoding (bits 4-7) | LRU clock (bits 8-31)
//   16 vidx   u32   index in the database's volatile array, or NO_EXPIRY
//   20 value  u32   strings: byte length of the value; other types: object pointer
//   24 key bytes, then for strings the value bytes
//
// Strings live inline after their key, so a short string key costs one block.
// Keys with an expiry are also listed in a dense per-database array of
// (entry, expire-at) pairs; the entry remembers its slot there. Removing a
// slot moves the last one into it. This gives O(1) TTL lookup and update and
// uniform random sampling of volatile keys for active expiry and the
// volatile-* eviction policies, without a second hash table.
//
// Entries move when they are reallocated (a string changing length, a rename).
// Every such move updates the dict link and the volatile slot, so nothing
// outside the core may keep an entry pointer across a call that writes.
//
// Keys deleted by the core on its own (lazy or active expiry, eviction) are
// appended to the key log with the reason, which the host drains to emit DEL
// effect records and to count expired and evicted keys apart.
//
// On a follower of the log (a read replica or standby) a key past its expiry
// is hidden from lookups but not deleted (state.hideExpired), as Redis
// replicas do: it stays until the primary's DEL arrives through the log, so
// a PEXPIRE or PERSIST the primary ran in time still finds it.
//
// Expiry times are i64 Unix milliseconds, as Redis keeps them, so that any
// PEXPIREAT a client can send (up to 2^63-1) reads back exactly.

import { alloc, free, realloc } from "./mem";
import {
  Dict, dictNew, dictFind, dictPeek, dictInsert, dictUnlink, dictUnlinkEntry, dictRelinkFound,
  dictSize, dictClear, dictScan, dictCollectAll, dictRandomEntry, dictRehashSteps,
  entryVecReset, entryVecLen, entryVecGet, ENTRY_HASH, ENTRY_KEYLEN,
  dictBucketSlot,
} from "./dict";
import { hashBytes, setHashSeed, setRandomSeed, randomBelow } from "./hashing";
import { TYPE_STRING, ENC_RAW, ENC_INT, ENC_EMBSTR } from "./types";
import { freeValue, copyValue, dumpValue } from "./values";
import { out_reset, out_bytes, out_u32, out_reserve } from "./io";
import { state } from "./state";
import { parseI64 } from "./counter";

// @ts-ignore: decorator
@inline export const E_META: usize = 12;
// @ts-ignore: decorator
@inline export const E_VIDX: usize = 16;
// @ts-ignore: decorator
@inline export const E_VALUE: usize = 20;
// @ts-ignore: decorator
@inline export const E_KEY: usize = 24;
// @ts-ignore: decorator
@inline export const NO_EXPIRY: u32 = 0xffffffff;
// Redis keeps its LRU clock in 24 bits of seconds, and so do we.
// @ts-ignore: decorator
@inline const LRU_CLOCK_MAX: u32 = 0xffffff;
// Strings up to this many bytes are tagged "embstr" like Redis's.
// @ts-ignore: decorator
@inline const EMBSTR_MAX_BYTES: u32 = 44;

@unmanaged
class Db {
  dict: Dict;
  volatileEntries: usize; // u32[]
  volatileExpireAt: usize; // i64[]
  volatileCount: u32;
  volatileCapacity: u32;
  // Where active expiry goes on in the volatile array.
  expireCursor: u32;
}

// The databases, their count and the clock are state.dbs, state.dbCount and
// state.nowMs (core-wasm/state.ts).
// While replaying effect records nothing expires on its own: the log carries
// a DEL for every key the primary expired, at the point where it did
// (state.replaying).

/** Turns replay mode on (1) or off (0). */
export function ks_set_replaying(on: i32): void {
  state.replaying = on != 0;
}

/**
 * Turns follower reads on (1) or off (0): lookups then treat a key past its
 * expiry as absent without deleting it (the host turns this off around the
 * writes it runs itself, which delete such keys as on a writable replica).
 */
export function ks_set_hide_expired(on: i32): void {
  state.hideExpired = on != 0;
}

function db(index: u32): Db {
  return changetype<Db>(load<u32>(state.dbs + (<usize>index << 2)));
}

function newDb(): Db {
  const d = changetype<Db>(alloc(offsetof<Db>()));
  d.dict = dictNew(<u32>E_KEY);
  d.volatileEntries = 0;
  d.volatileExpireAt = 0;
  d.volatileCount = 0;
  d.volatileCapacity = 0;
  d.expireCursor = 0;
  return d;
}

export function ks_init(count: u32, seedLow: u32, seedHigh: u32): void {
  const seed = (<u64>seedHigh << 32) | <u64>seedLow;
  setHashSeed(seed ^ 0x6a09e667f3bcc908);
  setRandomSeed(seed);
  state.dbCount = count;
  state.dbs = alloc(<usize>count << 2);
  for (let i: u32 = 0; i < count; i++) store<u32>(state.dbs + (<usize>i << 2), changetype<u32>(newDb()));
}

export function ks_db_count(): u32 {
  return state.dbCount;
}

/** Sets the time, in Unix milliseconds, that expiry and LRU use until the next call. */
export function ks_clock(now: f64): void {
  state.nowMs = now;
  // The LRU clock of nowMs, worked out once per ks_clock rather than per key touched.
  state.lruNow = (<u32>(<u64>(now / 1000))) & LRU_CLOCK_MAX;
}

export function lruClock(): u32 {
  return state.lruNow;
}

// ---- entry fields --------------------------------------------------------

export function entryType(e: usize): u32 {
  return load<u32>(e + E_META) & 0xf;
}
export function entryEncoding(e: usize): u32 {
  return (load<u32>(e + E_META) >> 4) & 0xf;
}
function setMeta(e: usize, type: u32, enc: u32): void {
  store<u32>(e + E_META, type | (enc << 4) | (lruClock() << 8));
}
function touch(e: usize): void {
  store<u32>(e + E_META, (load<u32>(e + E_META) & 0xff) | (lruClock() << 8));
}
export function entryKey(e: usize): usize {
  return e + E_KEY;
}
export function entryKeyLength(e: usize): u32 {
  return load<u32>(e + ENTRY_KEYLEN);
}
export function entryStringPtr(e: usize): usize {
  return e + E_KEY + <usize>load<u32>(e + ENTRY_KEYLEN);
}
export function entryStringLength(e: usize): u32 {
  return load<u32>(e + E_VALUE);
}
export function entryObject(e: usize): usize {
  return <usize>load<u32>(e + E_VALUE);
}

export function ks_entry_type(e: usize): u32 { return entryType(e); }
export function ks_entry_encoding(e: usize): u32 { return entryEncoding(e); }
export function ks_entry_key(e: usize): usize { return entryKey(e); }
export function ks_entry_keylen(e: usize): u32 { return entryKeyLength(e); }
export function ks_entry_strptr(e: usize): usize { return entryStringPtr(e); }
export function ks_entry_strlen(e: usize): u32 { return entryStringLength(e); }
export function ks_entry_object(e: usize): usize { return entryObject(e); }

/** Seconds since the entry was last touched, by the 24-bit LRU clock. */
export function ks_entry_idle_seconds(e: usize): u32 {
  const now = lruClock();
  const then = load<u32>(e + E_META) >> 8;
  return now >= then ? now - then : now + (LRU_CLOCK_MAX - then);
}

/** Replaces the object of a non-string entry (an encoding change), keeping its TTL. */
export function ks_entry_set_object(e: usize, obj: usize, enc: u32): void {
  store<u32>(e + E_VALUE, <u32>obj);
  store<u32>(e + E_META, (load<u32>(e + E_META) & ~0xf0) | (enc << 4));
}

export function ks_entry_set_encoding(e: usize, enc: u32): void {
  store<u32>(e + E_META, (load<u32>(e + E_META) & ~0xf0) | (enc << 4));
}

// ---- the key log ---------------------------------------------------------

// Why the core deleted a key on its own.
// @ts-ignore: decorator
@inline export const KEYLOG_EXPIRED: u32 = 0;
// @ts-ignore: decorator
@inline export const KEYLOG_EVICTED: u32 = 1;
// Not a deletion: a key was added to a database (logged only while
// ks_set_log_new_keys is on, for the "new" keyspace notification).
// @ts-ignore: decorator
@inline export const KEYLOG_NEW: u32 = 2;

state.keyLogPtr = alloc(1024);
state.keyLogCap = 1024;

/** Turns the logging of added keys on (1) or off (0). */
export function ks_set_log_new_keys(on: i32): void {
  state.logNewKeys = on != 0;
}

// Also records added keys (reason KEYLOG_NEW), which share the log's format.
function logDeletedKey(dbIndex: u32, e: usize, reason: u32 = KEYLOG_EXPIRED): void {
  const klen = <usize>entryKeyLength(e);
  const need = state.keyLogLen + 12 + klen;
  if (need > state.keyLogCap) {
    let cap = state.keyLogCap;
    while (cap < need) cap <<= 1;
    state.keyLogPtr = realloc(state.keyLogPtr, cap);
    state.keyLogCap = cap;
  }
  const at = state.keyLogPtr + state.keyLogLen;
  store<u32>(at, dbIndex);
  store<u32>(at + 4, reason);
  store<u32>(at + 8, <u32>klen);
  memory.copy(at + 12, entryKey(e), klen);
  state.keyLogLen = need;
  state.keyLogCount++;
}

/**
 * Keys the core deleted by itself (and, when asked, keys added) since the
 * last reset: [db u32][reason u32][len u32][key]...
 */
export function ks_keylog_ptr(): usize { return state.keyLogPtr; }
export function ks_keylog_len(): usize { return state.keyLogLen; }
export function ks_keylog_count(): u32 { return state.keyLogCount; }
export function ks_keylog_reset(): void {
  state.keyLogLen = 0;
  state.keyLogCount = 0;
}

// ---- volatile keys -------------------------------------------------------

function volatileAdd(d: Db, e: usize, at: i64): void {
  if (d.volatileCount == d.volatileCapacity) {
    const cap = d.volatileCapacity == 0 ? 16 : d.volatileCapacity << 1;
    d.volatileEntries = d.volatileEntries == 0 ? alloc(<usize>cap << 2) : realloc(d.volatileEntries, <usize>cap << 2);
    d.volatileExpireAt = d.volatileExpireAt == 0 ? alloc(<usize>cap << 3) : realloc(d.volatileExpireAt, <usize>cap << 3);
    d.volatileCapacity = cap;
  }
  const i = d.volatileCount++;
  store<u32>(d.volatileEntries + (<usize>i << 2), <u32>e);
  store<i64>(d.volatileExpireAt + (<usize>i << 3), at);
  store<u32>(e + E_VIDX, i);
}

function volatileRemove(d: Db, e: usize): void {
  const i = load<u32>(e + E_VIDX);
  if (i == NO_EXPIRY) return;
  const last = --d.volatileCount;
  if (i != last) {
    const moved = <usize>load<u32>(d.volatileEntries + (<usize>last << 2));
    store<u32>(d.volatileEntries + (<usize>i << 2), <u32>moved);
    store<i64>(d.volatileExpireAt + (<usize>i << 3), load<i64>(d.volatileExpireAt + (<usize>last << 3)));
    store<u32>(moved + E_VIDX, i);
  }
  store<u32>(e + E_VIDX, NO_EXPIRY);
  if (d.volatileCount == 0 && d.volatileCapacity > 64) {
    free(d.volatileEntries);
    free(d.volatileExpireAt);
    d.volatileEntries = 0;
    d.volatileExpireAt = 0;
    d.volatileCapacity = 0;
  }
}

function expireAtOf(d: Db, e: usize): i64 {
  const i = load<u32>(e + E_VIDX);
  return i == NO_EXPIRY ? -1 : load<i64>(d.volatileExpireAt + (<usize>i << 3));
}

/** The clock as whole Unix milliseconds, for comparing with expiry times. */
function nowMsInt(): i64 {
  return <i64>state.nowMs;
}

/** After an entry moved in memory, points its volatile slot at the new address. */
function volatileMoved(d: Db, e: usize): void {
  const i = load<u32>(e + E_VIDX);
  if (i != NO_EXPIRY) store<u32>(d.volatileEntries + (<usize>i << 2), <u32>e);
}

// ---- lookup, insert, delete ---------------------------------------------

function freeEntry(e: usize): void {
  const type = entryType(e);
  if (type != TYPE_STRING) freeValue(type, entryObject(e));
  free(e);
}

/** Deletes an entry found in `d` (unlinks, drops TTL, frees). */
function deleteEntry(d: Db, e: usize): void {
  dictUnlinkEntry(d.dict, e);
  volatileRemove(d, e);
  freeEntry(e);
}

function isExpired(d: Db, e: usize): bool {
  if (state.replaying) return false;
  const at = expireAtOf(d, e);
  return at >= 0 && at <= nowMsInt();
}

// Lookup flags.
// @ts-ignore: decorator
@inline export const LOOKUP_NOTOUCH: u32 = 1;

/**
 * The entry of a live key, or 0. A key past its expiry is deleted here (lazy
 * expiry) and reported through the key log; with hideExpired it is only
 * reported absent.
 */
export function ks_find(dbIndex: u32, kptr: usize, klen: u32, flags: u32): usize {
  return findHashed(dbIndex, kptr, klen, hashBytes(kptr, klen), flags);
}

/** ks_find for a key whose hash the caller already has (batched lookups hash ahead). */
export function findHashed(dbIndex: u32, kptr: usize, klen: u32, hash: u32, flags: u32): usize {
  const d = db(dbIndex);
  const e = dictFind(d.dict, hash, kptr, klen);
  if (e == 0) return 0;
  if (isExpired(d, e)) {
    if (state.hideExpired) return 0;
    logDeletedKey(dbIndex, e);
    deleteEntry(d, e);
    return 0;
  }
  if ((flags & LOOKUP_NOTOUCH) == 0) touch(e);
  return e;
}

/** Adds a new non-string entry; the key must be absent (look it up first). */
export function ks_add_object(dbIndex: u32, kptr: usize, klen: u32, type: u32, enc: u32, obj: usize): usize {
  const d = db(dbIndex);
  const e = alloc(E_KEY + <usize>klen);
  store<u32>(e + ENTRY_HASH, hashBytes(kptr, klen));
  store<u32>(e + ENTRY_KEYLEN, klen);
  setMeta(e, type, enc);
  store<u32>(e + E_VIDX, NO_EXPIRY);
  store<u32>(e + E_VALUE, <u32>obj);
  memory.copy(e + E_KEY, kptr, klen);
  dictInsert(d.dict, e);
  if (state.logNewKeys) logDeletedKey(dbIndex, e, KEYLOG_NEW);
  return e;
}

/** Redis's rule for OBJECT ENCODING of a string set by SET. */
export function stringEncodingOf(vptr: usize, vlen: u32): u32 {
  if (vlen > 0 && vlen <= 20 && isCanonicalInteger(vptr, vlen)) return ENC_INT;
  return vlen <= EMBSTR_MAX_BYTES ? ENC_EMBSTR : ENC_RAW;
}

/** Whether the bytes are an integer in Redis's canonical form that fits in i64 (counter.ts's rule). */
export function isCanonicalInteger(p: usize, len: u32): bool {
  return parseI64(p, len);
}

/**
 * Sets a string value, creating the key or replacing whatever it held. The
 * TTL is dropped unless keepTtl. Returns the entry.
 */
export function ks_set_string(dbIndex: u32, kptr: usize, klen: u32, vptr: usize, vlen: u32, keepTtl: bool): usize {
  const e = setStringRaw(dbIndex, kptr, klen, vlen, keepTtl, true);
  memory.copy(entryStringPtr(e), vptr, vlen);
  ks_entry_set_encoding(e, stringEncodingOf(vptr, vlen));
  return e;
}

/**
 * Makes the key a string of `vlen` bytes and returns its entry; the bytes
 * are left for the caller to write. With preserve=false nothing is kept.
 * Expired keys count as absent.
 */
export function setStringRaw(dbIndex: u32, kptr: usize, klen: u32, vlen: u32, keepTtl: bool, replace: bool): usize {
  const d = db(dbIndex);
  const hash = hashBytes(kptr, klen);
  let e = dictFind(d.dict, hash, kptr, klen);
  if (e != 0 && isExpired(d, e)) {
    logDeletedKey(dbIndex, e);
    deleteEntry(d, e);
    e = 0;
  }
  const size = E_KEY + <usize>klen + <usize>vlen;
  if (e == 0) {
    e = alloc(size);
    store<u32>(e + ENTRY_HASH, hash);
    store<u32>(e + ENTRY_KEYLEN, klen);
    setMeta(e, TYPE_STRING, ENC_RAW);
    store<u32>(e + E_VIDX, NO_EXPIRY);
    store<u32>(e + E_VALUE, vlen);
    memory.copy(e + E_KEY, kptr, klen);
    dictInsert(d.dict, e);
    if (state.logNewKeys) logDeletedKey(dbIndex, e, KEYLOG_NEW);
    return e;
  }
  if (entryType(e) != TYPE_STRING) {
    freeValue(entryType(e), entryObject(e));
    store<u32>(e + E_VALUE, 0);
    setMeta(e, TYPE_STRING, ENC_RAW);
  } else {
    touch(e);
  }
  const oldLen = entryStringLength(e);
  if (oldLen != vlen) {
    const moved = realloc(e, size);
    if (moved != e) {
      dictRelinkFound(moved);
      volatileMoved(d, moved);
      e = moved;
    }
    store<u32>(e + E_VALUE, vlen);
  }
  if (!keepTtl) volatileRemove(d, e);
  return e;
}

/**
 * Grows (zero-filling) or keeps a string key so that it holds at least `vlen`
 * bytes, creating it if absent; the caller has checked it is a string.
 * Returns the entry, tagged raw like Redis's modified strings.
 */
export function ks_string_grow(dbIndex: u32, kptr: usize, klen: u32, vlen: u32): usize {
  const d = db(dbIndex);
  const hash = hashBytes(kptr, klen);
  let e = dictFind(d.dict, hash, kptr, klen);
  if (e != 0 && isExpired(d, e)) {
    logDeletedKey(dbIndex, e);
    deleteEntry(d, e);
    e = 0;
  }
  if (e == 0) {
    e = setStringRaw(dbIndex, kptr, klen, vlen, false, true);
    memory.fill(entryStringPtr(e), 0, vlen);
    return e;
  }
  const oldLen = entryStringLength(e);
  if (oldLen < vlen) {
    const moved = realloc(e, E_KEY + <usize>klen + <usize>vlen);
    if (moved != e) {
      dictRelinkFound(moved);
      volatileMoved(d, moved);
      e = moved;
    }
    store<u32>(e + E_VALUE, vlen);
    memory.fill(entryStringPtr(e) + oldLen, 0, vlen - oldLen);
  }
  ks_entry_set_encoding(e, ENC_RAW);
  touch(e);
  return e;
}

/**
 * Changes the length of a live string entry's value, growing or shrinking
 * it; the bytes up to the shorter of the two lengths are kept and any new
 * bytes are left for the caller to write. Returns the entry, which may have
 * moved (the dict link and the volatile slot follow it).
 */
export function ks_string_resize(dbIndex: u32, e: usize, vlen: u32): usize {
  if (entryStringLength(e) == vlen) return e;
  const d = db(dbIndex);
  const klen = entryKeyLength(e);
  // Find the entry again so that the dict knows which link to repoint: the
  // caller's lookup may be several core calls old.
  const found = dictFind(d.dict, load<u32>(e + ENTRY_HASH), entryKey(e), klen);
  assert(found == e);
  const moved = realloc(e, E_KEY + <usize>klen + <usize>vlen);
  if (moved != e) {
    dictRelinkFound(moved);
    volatileMoved(d, moved);
  }
  store<u32>(moved + E_VALUE, vlen);
  return moved;
}

/** Deletes a key; returns 1 if a live key was deleted, 0 if absent or expired. */
export function ks_delete(dbIndex: u32, kptr: usize, klen: u32): i32 {
  const e = ks_find(dbIndex, kptr, klen, LOOKUP_NOTOUCH);
  if (e == 0) return 0;
  deleteEntry(db(dbIndex), e);
  return 1;
}

/** Deletes a key by entry (from ks_find), e.g. when a collection becomes empty. */
export function ks_delete_entry(dbIndex: u32, e: usize): void {
  deleteEntry(db(dbIndex), e);
}

// ---- expiry -------------------------------------------------------------

/** Sets the absolute expiry (Unix ms) of a live entry. */
export function ks_set_expire(dbIndex: u32, e: usize, at: f64): void {
  ks_set_expire_i64(dbIndex, e, <i64>at);
}

/** Sets the absolute expiry (Unix ms, exact: a BigInt on the JS side) of a live entry. */
export function ks_set_expire_i64(dbIndex: u32, e: usize, at: i64): void {
  const d = db(dbIndex);
  const i = load<u32>(e + E_VIDX);
  if (i == NO_EXPIRY) volatileAdd(d, e, at);
  else store<i64>(d.volatileExpireAt + (<usize>i << 3), at);
}

/** The absolute expiry in Unix ms, or -1 when the key has none. */
export function ks_get_expire(dbIndex: u32, e: usize): f64 {
  return <f64>expireAtOf(db(dbIndex), e);
}

/** The absolute expiry in Unix ms, exact (a BigInt on the JS side), or -1. */
export function ks_get_expire_i64(dbIndex: u32, e: usize): i64 {
  return expireAtOf(db(dbIndex), e);
}

/** Removes the expiry; returns 1 if there was one. */
export function ks_persist(dbIndex: u32, e: usize): i32 {
  if (load<u32>(e + E_VIDX) == NO_EXPIRY) return 0;
  volatileRemove(db(dbIndex), e);
  return 1;
}

/**
 * Active expiry: looks at the next `samples` volatile keys and deletes those
 * that are past due. Returns how many it deleted; the host repeats while a
 * good share of the keys seen were expired, as Redis does.
 *
 * Like Redis 7 (which walks its expires table with a cursor), this walks the
 * volatile array in order from where the last call stopped, rather than
 * sampling at random: repeated calls visit every volatile key, so no expired
 * key can escape for long however few expired keys are left. Deleting slot i
 * moves the last slot into it, which is looked at next.
 */
export function ks_expire_cycle(dbIndex: u32, samples: u32): u32 {
  const d = db(dbIndex);
  let deleted: u32 = 0;
  const now = nowMsInt();
  for (let n: u32 = 0; n < samples && d.volatileCount > 0; n++) {
    if (d.expireCursor >= d.volatileCount) d.expireCursor = 0;
    const i = d.expireCursor;
    if (load<i64>(d.volatileExpireAt + (<usize>i << 3)) <= now) {
      const e = <usize>load<u32>(d.volatileEntries + (<usize>i << 2));
      logDeletedKey(dbIndex, e);
      deleteEntry(d, e);
      deleted++;
    } else {
      d.expireCursor = i + 1;
    }
  }
  return deleted;
}

export function ks_expires_count(dbIndex: u32): u32 {
  return db(dbIndex).volatileCount;
}

// ---- eviction -----------------------------------------------------------

// Eviction policies, as the host numbers them.
// @ts-ignore: decorator
@inline const EVICT_ALLKEYS_LRU: u32 = 1;
// @ts-ignore: decorator
@inline const EVICT_ALLKEYS_RANDOM: u32 = 2;
// @ts-ignore: decorator
@inline const EVICT_VOLATILE_LRU: u32 = 3;
// @ts-ignore: decorator
@inline const EVICT_VOLATILE_RANDOM: u32 = 4;
// @ts-ignore: decorator
@inline const EVICT_VOLATILE_TTL: u32 = 5;

/** The score of the candidate the last ks_evict_candidate returned: higher evicts first. */
export function ks_evict_score(): f64 {
  return state.evictScore;
}

/**
 * Samples `samples` keys of a database under the policy and returns the best
 * one to evict (0 if the database has no candidates); ks_evict_score() tells
 * how good it is, so the host can choose across databases.
 */
export function ks_evict_candidate(dbIndex: u32, policy: u32, samples: u32): usize {
  const d = db(dbIndex);
  let best: usize = 0;
  let bestScore: f64 = -Infinity;
  const volatileOnly = policy >= EVICT_VOLATILE_LRU;
  if (volatileOnly ? d.volatileCount == 0 : dictSize(d.dict) == 0) return 0;
  for (let n: u32 = 0; n < samples; n++) {
    let e: usize;
    let score: f64;
    if (volatileOnly) {
      const i = randomBelow(d.volatileCount);
      e = <usize>load<u32>(d.volatileEntries + (<usize>i << 2));
      if (policy == EVICT_VOLATILE_TTL) score = -<f64>load<i64>(d.volatileExpireAt + (<usize>i << 3));
      else if (policy == EVICT_VOLATILE_LRU) score = <f64>ks_entry_idle_seconds(e);
      else score = 0;
    } else {
      e = dictRandomEntry(d.dict);
      score = policy == EVICT_ALLKEYS_LRU ? <f64>ks_entry_idle_seconds(e) : 0;
    }
    if (score > bestScore) {
      best = e;
      bestScore = score;
    }
    if (policy == EVICT_ALLKEYS_RANDOM || policy == EVICT_VOLATILE_RANDOM) break;
  }
  state.evictScore = bestScore;
  return best;
}

/** Deletes an eviction candidate and records it in the key log. */
export function ks_evict(dbIndex: u32, e: usize): void {
  logDeletedKey(dbIndex, e, KEYLOG_EVICTED);
  deleteEntry(db(dbIndex), e);
}

// ---- whole-database operations -----------------------------------------

export function ks_dbsize(dbIndex: u32): u32 {
  return dictSize(db(dbIndex).dict);
}

export function ks_flush(dbIndex: u32): void {
  const d = db(dbIndex);
  entryVecReset();
  dictCollectAll(d.dict);
  const n = entryVecLen();
  for (let i: u32 = 0; i < n; i++) freeEntry(entryVecGet(i));
  dictClear(d.dict);
  if (d.volatileEntries != 0) {
    free(d.volatileEntries);
    free(d.volatileExpireAt);
  }
  d.volatileEntries = 0;
  d.volatileExpireAt = 0;
  d.volatileCount = 0;
  d.volatileCapacity = 0;
  d.expireCursor = 0;
}

export function ks_swap(a: u32, b: u32): void {
  const pa = load<u32>(state.dbs + (<usize>a << 2));
  store<u32>(state.dbs + (<usize>a << 2), load<u32>(state.dbs + (<usize>b << 2)));
  store<u32>(state.dbs + (<usize>b << 2), pa);
}

/** Incremental rehash work for idle time; returns 1 while any table is still rehashing. */
export function ks_rehash(dbIndex: u32, steps: i32): i32 {
  return dictRehashSteps(db(dbIndex).dict, steps) ? 1 : 0;
}

/**
 * A random live key's entry, or 0 when the database has none. Expired keys
 * met on the way are deleted (and logged), as Redis's dbRandomKey does on a
 * primary; each miss deletes a key, so the loop ends.
 */
export function ks_random_key(dbIndex: u32): usize {
  const d = db(dbIndex);
  if (state.hideExpired) return randomKeyHidingExpired(dbIndex);
  for (;;) {
    const e = dictRandomEntry(d.dict);
    if (e == 0) return 0;
    if (!isExpired(d, e)) return e;
    logDeletedKey(dbIndex, e);
    deleteEntry(d, e);
  }
  return 0;
}

// Random picks a follower tries before it looks through the whole database.
// @ts-ignore: decorator
@inline const RANDOM_KEY_TRIES: u32 = 100;

/**
 * ks_random_key with hideExpired: expired keys are skipped, not deleted.
 * Redis's replica gives up after 100 expired picks when every key is volatile
 * and returns an expired key; this looks through the database instead and
 * picks among the live keys, so a hidden key is never shown.
 */
function randomKeyHidingExpired(dbIndex: u32): usize {
  const d = db(dbIndex);
  for (let n: u32 = 0; n < RANDOM_KEY_TRIES; n++) {
    const e = dictRandomEntry(d.dict);
    if (e == 0) return 0;
    if (!isExpired(d, e)) return e;
  }
  entryVecReset();
  dictCollectAll(d.dict);
  const n = entryVecLen();
  let live: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (!isExpired(d, entryVecGet(i))) live++;
  if (live == 0) return 0;
  let pick = randomBelow(live);
  for (let i: u32 = 0; i < n; i++) {
    const e = entryVecGet(i);
    if (isExpired(d, e)) continue;
    if (pick == 0) return e;
    pick--;
  }
  return 0;
}

/** Writes one key record to the output: [len u32][key][type u32]. */
function outKey(e: usize): void {
  out_bytes(entryKey(e), entryKeyLength(e));
  out_u32(entryType(e));
}

// In SCAN records, this bit of the type word marks a key past its expiry.
// @ts-ignore: decorator
@inline const SCAN_EXPIRED_FLAG: u32 = 0x100;
// In snapshot_dump records, this bit of the type word says an expiry follows.
// @ts-ignore: decorator
@inline const DUMP_EXPIRY_FLAG: u32 = 0x100;

/**
 * One SCAN step: visits buckets from `cursor` until at least `count` entries
 * were seen (or the scan ends), writes every key seen to the output as
 * [len u32][key][type u32], the type word or'ed with 0x100 when the key is
 * past its expiry, and returns the next cursor. Nothing is deleted here: the
 * host filters by pattern and type first and expires only the keys that pass
 * (as Redis does), through ks_find.
 */
export function ks_scan(dbIndex: u32, cursor: u32, count: u32): u32 {
  const d = db(dbIndex);
  out_reset();
  const v = dictScan(d.dict, cursor, count);
  const n = entryVecLen();
  for (let i: u32 = 0; i < n; i++) {
    const e = entryVecGet(i);
    out_bytes(entryKey(e), entryKeyLength(e));
    out_u32(entryType(e) | (isExpired(d, e) ? SCAN_EXPIRED_FLAG : 0));
  }
  return v;
}

/**
 * Part of a snapshot's portable form: from SCAN cursor `cursor` of database
 * `dbIndex`, writes one record per entry, expired or not, until the output
 * holds at least `budget` bytes or the scan ends, and returns the next cursor
 * (0 at the end). A core instance that only dumps sees no writes, so every
 * entry comes exactly once.
 *
 * The record format is a contract across builds (runtime/snapshot.ts reads the
 * records of an image a different build took, through that build's own
 * snapshot_dump), so it only ever gains new type codes. Little-endian:
 *   u32 type | 0x100 when it has an expiry;  i64 expiry (Unix ms) if so;
 *   [u32 len][key];  then by type:
 *   string: [u32 len][bytes]       list: u32 n, n x [u32 len][element], head first
 *   set: u32 n, n x [u32 len][member]     hash: u32 n, n x [u32 len][field][u32 len][value]
 *   zset: u32 n, n x [u32 len][member][f64 score], in rank order
 */
export function snapshot_dump(dbIndex: u32, cursor: u32, budget: u32): u32 {
  const d = db(dbIndex);
  out_reset();
  let next = cursor;
  do {
    next = dictScan(d.dict, next, 16);
    const n = entryVecLen();
    for (let i: u32 = 0; i < n; i++) {
      const e = entryVecGet(i);
      const type = entryType(e);
      const expireAt = expireAtOf(d, e);
      out_u32(type | (expireAt >= 0 ? DUMP_EXPIRY_FLAG : 0));
      if (expireAt >= 0) store<i64>(out_reserve(8), expireAt);
      out_bytes(entryKey(e), entryKeyLength(e));
      if (type == TYPE_STRING) out_bytes(entryStringPtr(e), entryStringLength(e));
      else dumpValue(type, entryObject(e));
    }
  } while (next != 0 && state.outLen < budget);
  return next;
}

/** Writes every live key of the database to the output (KEYS). */
export function ks_keys(dbIndex: u32): u32 {
  const d = db(dbIndex);
  out_reset();
  entryVecReset();
  dictCollectAll(d.dict);
  const n = entryVecLen();
  let written: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e = entryVecGet(i);
    if (!isExpired(d, e)) {
      outKey(e);
      written++;
    }
  }
  return written;
}

/**
 * Moves the key at `e` of srcDb to dstDb under a new name, keeping its value
 * and expiry. The destination key must be absent. Returns the new entry.
 */
export function ks_move_entry(srcDb: u32, e: usize, dstDb: u32, kptr: usize, klen: u32): usize {
  const s = db(srcDb);
  const t = db(dstDb);
  const at = expireAtOf(s, e);
  dictUnlinkEntry(s.dict, e);
  volatileRemove(s, e);
  const oldKeyLen = <usize>entryKeyLength(e);
  const isString = entryType(e) == TYPE_STRING;
  const valueLen: usize = isString ? <usize>entryStringLength(e) : 0;
  const moved = alloc(E_KEY + <usize>klen + valueLen);
  memory.copy(moved, e, E_KEY);
  store<u32>(moved + ENTRY_HASH, hashBytes(kptr, klen));
  store<u32>(moved + ENTRY_KEYLEN, klen);
  store<u32>(moved + E_VIDX, NO_EXPIRY);
  memory.copy(moved + E_KEY, kptr, klen);
  if (isString) memory.copy(moved + E_KEY + <usize>klen, e + E_KEY + oldKeyLen, valueLen);
  free(e);
  dictInsert(t.dict, moved);
  if (state.logNewKeys) logDeletedKey(dstDb, moved, KEYLOG_NEW);
  if (at >= 0) volatileAdd(t, moved, at);
  return moved;
}

/** Copies the key at `e` into dstDb under a new name (absent there), with its expiry. */
export function ks_copy_entry(srcDb: u32, e: usize, dstDb: u32, kptr: usize, klen: u32): usize {
  const at = expireAtOf(db(srcDb), e);
  let copy: usize;
  if (entryType(e) == TYPE_STRING) {
    const vlen = entryStringLength(e);
    const enc = entryEncoding(e);
    copy = setStringRaw(dstDb, kptr, klen, vlen, false, true);
    memory.copy(entryStringPtr(copy), entryStringPtr(e), vlen);
    ks_entry_set_encoding(copy, enc);
  } else {
    copy = ks_add_object(dstDb, kptr, klen, entryType(e), entryEncoding(e), copyValue(entryType(e), entryObject(e)));
  }
  if (at >= 0) volatileAdd(db(dstDb), copy, at);
  return copy;
}

/** Finds without expiring or touching: for code that must not change the table. */
export function ks_peek(dbIndex: u32, kptr: usize, klen: u32): usize {
  const d = db(dbIndex);
  return dictPeek(d.dict, hashBytes(kptr, klen), kptr, klen);
}

/** The address of the bucket slot of a key's hash, for batched cache warm-up (see dictBucketSlot); changes nothing. */
export function bucketSlot(dbIndex: u32, hash: u32): usize {
  return dictBucketSlot(db(dbIndex).dict, hash);
}
