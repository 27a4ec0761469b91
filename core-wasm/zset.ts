// Sorted sets: a skiplist with spans, indexed by a hash table of members.
//
// No mutable state outside linear memory (core-wasm/state.ts): the lex range in
// use is state.lexMin*/lexMax*; the search scratch arrays (update, rankAt) are
// static memory. A snapshot is a copy of memory, so nothing may live in a Wasm
// global.
//
// This is Redis's zset (t_zset.c): elements are ordered by score (an f64),
// then by member bytes in memcmp order, in a skiplist whose links carry
// spans (how many level-0 steps a link jumps), so that the rank of an element
// is the sum of the spans on the way to it. A hash table maps member -> node
// for O(1) ZSCORE and for finding a member's node before a rank query.
//
// Costs: ZSCORE O(1); ZADD, ZREM, ZRANK, the start of any range O(log n);
// a range of m elements O(log n + m) (LIMIT offsets jump by rank, not step by
// step); ZCOUNT/ZLEXCOUNT O(log n) (two ranks subtracted).
//
// One block per member. The skiplist node *is* the hash table entry: its
// member bytes sit at a fixed offset after the dict's entry header, so the
// dict compares keys in place and the bytes are stored exactly once. The
// node's levels vary in number, so they sit *before* the node pointer, at
// fixed negative offsets, where no member length is needed to find them:
//
//   block start                                node
//   |                                          |
//   [ level L-1 ] ... [ level 1 ][ level 0 ]   [ next u32 | hash u32 | len u32 | backward u32 |
//     8 bytes each: forward u32, span u32        score f64 | levels u32 | member bytes ... ]
//                                              0    4      8     12      16     24    28
//
//   level i of node n is at n - 8 * (i + 1); the block is freed from
//   n - 8 * levels. `next` and `hash` belong to the dict (dict.ts).
//
// A 10-byte member costs 28 + 10 + 8 * levels (1.33 levels on average with
// p = 1/4), plus the allocator's 4-byte header and 16-byte rounding, plus its
// share of the dict's bucket array (4 to 8 bytes): 70 bytes measured over
// 200,000 members, against 112 for Redis 7.0's skiplist encoding (its
// dict entry, sds member and node are three allocations).
//
// The header node has 32 levels (the maximum) and no member; it is never in
// the dict. A link to nothing (forward 0) keeps the span it would have to the
// end of the list, as Redis does, so that inserting after it needs no search.
//
// Invariants (checked by the differential tests through every command):
// - for each level i, following forward pointers from the header visits
//   nodes in strictly increasing (score, member) order;
// - the sum of the spans from the header to a node on any level path is its
//   1-based rank; level 0 spans are all 1;
// - backward points to the level-0 predecessor (0 for the first node), and
//   tail to the last node (0 when empty);
// - the dict holds exactly the nodes of the list; length == dictSize;
// - scores are never NaN (ZADD refuses, aggregation maps NaN to 0).
//
// Nodes never move in memory once allocated: a score update unlinks the node
// from the list and links it in again, so the dict entry stays valid.
//
// Ranges and pops write their results to the output buffer (io.ts) as
// records of [len u32][member bytes][score f64], and return the count.
//
// Small sets. Redis keeps a set of at most 128 members of at most 64 bytes
// (zset-max-listpack-entries/-value) in a listpack, and three things users
// can see follow from that: a score of -0 is stored as 0, ZSCAN returns the
// whole set in one call, in order, and lex ranges over members of *unequal*
// scores (which Redis documents as unspecified) are answered by a linear
// scan. We store every set the same way, but keep a `compact` flag that
// follows Redis's own conversion rules exactly (set when a ZADD creates the
// key with a short first member, or when a STORE result is small; cleared for
// good when a new member would exceed either limit), and reproduce those
// three behaviours while it is set. The linear scans are bounded by the 128
// entries. OBJECT ENCODING still says "skiplist": that is what we store.

import { alloc, free, bytesCompare, blockBytes } from "./mem";
import {
  Dict, dictNew, dictFind, dictPeek, dictInsert, dictUnlinkEntry, dictSize, dictFreeTables,
  dictScan, dictCollectAll, entryVecReset, entryVecLen, entryVecGet, ENTRY_HASH, ENTRY_KEYLEN,
  dictOverheadBytes,
} from "./dict";
import { hashBytes, randomU64 } from "./hashing";
import { out_reset, out_reserve, out_u32, ctlSetF64, ctlSetI32 } from "./io";
import { state } from "./state";

// ---- layout --------------------------------------------------------------

// @ts-ignore: decorator
@inline const N_BACKWARD: usize = 12;
// @ts-ignore: decorator
@inline const N_SCORE: usize = 16;
// @ts-ignore: decorator
@inline const N_LEVELS: usize = 24;
// @ts-ignore: decorator
@inline const N_MEMBER: usize = 28;
// @ts-ignore: decorator
@inline const LEVEL_BYTES: usize = 8;
// Redis's ZSKIPLIST_MAXLEVEL: enough for 2^64 elements at p = 1/4.
// @ts-ignore: decorator
@inline const MAX_LEVEL: i32 = 32;
// A node gets one more level with probability 1/4 (Redis's ZSKIPLIST_P), on
// 16 random bits.
// @ts-ignore: decorator
@inline const LEVEL_THRESHOLD: u64 = 0x3fff;

@unmanaged
export class ZSet {
  dict: Dict;
  header: usize;
  tail: usize;
  length: u32;
  level: i32;
  /** 1 while Redis would hold this set as a listpack (see the essay). */
  compact: u32;
}

// Redis's defaults for zset-max-listpack-entries and zset-max-listpack-value.
// @ts-ignore: decorator
@inline const LISTPACK_MAX_ENTRIES: u32 = 128;
// @ts-ignore: decorator
@inline const LISTPACK_MAX_VALUE: u32 = 64;

/** A listpack stores a score as text, and -0 reads back as 0. */
function compactScore(zs: ZSet, score: f64): f64 {
  return zs.compact != 0 && score == 0 ? 0 : score;
}

// Scratch for searches: the rightmost node before the position on each
// level, and its rank. Fixed size (MAX_LEVEL), allocated once.
const update: usize = memory.data(MAX_LEVEL * 4, 16);
const rankAt: usize = memory.data(MAX_LEVEL * 4, 16);

function updateGet(i: i32): usize { return <usize>load<u32>(update + (<usize>i << 2)); }
function updateSet(i: i32, n: usize): void { store<u32>(update + (<usize>i << 2), <u32>n); }
function rankGet(i: i32): u32 { return load<u32>(rankAt + (<usize>i << 2)); }
function rankSet(i: i32, r: u32): void { store<u32>(rankAt + (<usize>i << 2), r); }

function fwd(n: usize, i: i32): usize { return <usize>load<u32>(n - LEVEL_BYTES * (<usize>i + 1)); }
function setFwd(n: usize, i: i32, to: usize): void { store<u32>(n - LEVEL_BYTES * (<usize>i + 1), <u32>to); }
function span(n: usize, i: i32): u32 { return load<u32>(n - LEVEL_BYTES * (<usize>i + 1) + 4); }
function setSpan(n: usize, i: i32, s: u32): void { store<u32>(n - LEVEL_BYTES * (<usize>i + 1) + 4, s); }
function backward(n: usize): usize { return <usize>load<u32>(n + N_BACKWARD); }
function setBackward(n: usize, to: usize): void { store<u32>(n + N_BACKWARD, <u32>to); }
export function nodeScore(n: usize): f64 { return load<f64>(n + N_SCORE); }
function setScore(n: usize, s: f64): void { store<f64>(n + N_SCORE, s); }
function nodeLevels(n: usize): i32 { return load<i32>(n + N_LEVELS); }
export function nodeMember(n: usize): usize { return n + N_MEMBER; }
export function nodeMemberLen(n: usize): u32 { return load<u32>(n + ENTRY_KEYLEN); }

function randomLevel(): i32 {
  let level = 1;
  while (level < MAX_LEVEL && (randomU64() & 0xffff) < LEVEL_THRESHOLD) level++;
  return level;
}

function nodeAlloc(levels: i32, score: f64, mptr: usize, mlen: u32, hash: u32): usize {
  const base = alloc(<usize>levels * LEVEL_BYTES + N_MEMBER + <usize>mlen);
  const n = base + <usize>levels * LEVEL_BYTES;
  store<u32>(n, 0);
  store<u32>(n + ENTRY_HASH, hash);
  store<u32>(n + ENTRY_KEYLEN, mlen);
  setBackward(n, 0);
  setScore(n, score);
  store<i32>(n + N_LEVELS, levels);
  memory.copy(n + N_MEMBER, mptr, mlen);
  for (let i = 0; i < levels; i++) {
    setFwd(n, i, 0);
    setSpan(n, i, 0);
  }
  return n;
}

function nodeFree(n: usize): void {
  free(n - <usize>nodeLevels(n) * LEVEL_BYTES);
}

/** Whether node n orders before (score, member). */
function nodeBefore(n: usize, score: f64, mptr: usize, mlen: u32): bool {
  const s = nodeScore(n);
  return s < score || (s == score && bytesCompare(n + N_MEMBER, nodeMemberLen(n), mptr, mlen) < 0);
}

// ---- the skiplist --------------------------------------------------------

export function zsetNew(): ZSet {
  const zs = changetype<ZSet>(alloc(offsetof<ZSet>()));
  zs.dict = dictNew(<u32>N_MEMBER);
  zs.header = nodeAlloc(MAX_LEVEL, 0, 0, 0, 0);
  zs.tail = 0;
  zs.length = 0;
  zs.level = 1;
  zs.compact = 0;
  return zs;
}

export function zsetFree(zs: ZSet): void {
  let n = fwd(zs.header, 0);
  while (n != 0) {
    const next = fwd(n, 0);
    nodeFree(n);
    n = next;
  }
  nodeFree(zs.header);
  dictFreeTables(zs.dict);
  free(changetype<usize>(zs));
}

/** Links an allocated node (score, member and levels set) into the list. */
function listInsert(zs: ZSet, x: usize): void {
  const score = nodeScore(x);
  const mptr = x + N_MEMBER;
  const mlen = nodeMemberLen(x);
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    rankSet(i, i == zs.level - 1 ? 0 : rankGet(i + 1));
    let f = fwd(p, i);
    while (f != 0 && nodeBefore(f, score, mptr, mlen)) {
      rankSet(i, rankGet(i) + span(p, i));
      p = f;
      f = fwd(p, i);
    }
    updateSet(i, p);
  }
  const level = nodeLevels(x);
  if (level > zs.level) {
    for (let i = zs.level; i < level; i++) {
      rankSet(i, 0);
      updateSet(i, zs.header);
      setSpan(zs.header, i, zs.length);
    }
    zs.level = level;
  }
  const rank0 = rankGet(0);
  for (let i = 0; i < level; i++) {
    const u = updateGet(i);
    setFwd(x, i, fwd(u, i));
    setFwd(u, i, x);
    setSpan(x, i, span(u, i) - (rank0 - rankGet(i)));
    setSpan(u, i, rank0 - rankGet(i) + 1);
  }
  for (let i = level; i < zs.level; i++) {
    const u = updateGet(i);
    setSpan(u, i, span(u, i) + 1);
  }
  const u0 = updateGet(0);
  setBackward(x, u0 == zs.header ? 0 : u0);
  const next = fwd(x, 0);
  if (next != 0) setBackward(next, x);
  else zs.tail = x;
  zs.length++;
}

/** Unlinks x from the list, given update[] filled by a search that stops just before x. */
function listUnlinkAt(zs: ZSet, x: usize): void {
  for (let i = 0; i < zs.level; i++) {
    const u = updateGet(i);
    if (fwd(u, i) == x) {
      setSpan(u, i, span(u, i) + span(x, i) - 1);
      setFwd(u, i, fwd(x, i));
    } else {
      setSpan(u, i, span(u, i) - 1);
    }
  }
  const next = fwd(x, 0);
  if (next != 0) setBackward(next, backward(x));
  else zs.tail = backward(x);
  while (zs.level > 1 && fwd(zs.header, zs.level - 1) == 0) zs.level--;
  zs.length--;
}

/** Fills update[] with the last node before (score, member) on each level. */
function searchBefore(zs: ZSet, score: f64, mptr: usize, mlen: u32): void {
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    while (f != 0 && nodeBefore(f, score, mptr, mlen)) {
      p = f;
      f = fwd(p, i);
    }
    updateSet(i, p);
  }
}

/** Unlinks node x (which is in the list) from the list; the dict is untouched. */
function listUnlink(zs: ZSet, x: usize): void {
  searchBefore(zs, nodeScore(x), x + N_MEMBER, nodeMemberLen(x));
  assert(fwd(updateGet(0), 0) == x);
  listUnlinkAt(zs, x);
}

/** Removes node x from list and dict and frees it. */
function removeNode(zs: ZSet, x: usize): void {
  listUnlink(zs, x);
  dictUnlinkEntry(zs.dict, x);
  nodeFree(x);
}

/** The 1-based rank of node x, which is in the list. */
function rankOf(zs: ZSet, x: usize): u32 {
  const score = nodeScore(x);
  const mptr = x + N_MEMBER;
  const mlen = nodeMemberLen(x);
  let rank: u32 = 0;
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    // Advance while f <= x in (score, member) order.
    while (f != 0 && (f == x || nodeBefore(f, score, mptr, mlen))) {
      rank += span(p, i);
      p = f;
      if (p == x) return rank;
      f = fwd(p, i);
    }
  }
  assert(false);
  return 0;
}

/** The node of 1-based rank r, or 0. */
function nodeAtRank(zs: ZSet, r: u32): usize {
  let traversed: u32 = 0;
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    while (f != 0 && traversed + span(p, i) <= r) {
      traversed += span(p, i);
      p = f;
      f = fwd(p, i);
    }
    if (traversed == r) return p == zs.header ? 0 : p;
  }
  return 0;
}

function findMember(zs: ZSet, mptr: usize, mlen: u32): usize {
  return dictFind(zs.dict, hashBytes(mptr, mlen), mptr, mlen);
}

// ---- score ranges ---------------------------------------------------------

function gteMin(v: f64, min: f64, minex: bool): bool { return minex ? v > min : v >= min; }
function lteMax(v: f64, max: f64, maxex: bool): bool { return maxex ? v < max : v <= max; }

function scoreRangeMayHit(zs: ZSet, min: f64, minex: bool, max: f64, maxex: bool): bool {
  if (min > max || (min == max && (minex || maxex))) return false;
  if (zs.tail == 0 || !gteMin(nodeScore(zs.tail), min, minex)) return false;
  const first = fwd(zs.header, 0);
  return first != 0 && lteMax(nodeScore(first), max, maxex);
}

function firstInScoreRange(zs: ZSet, min: f64, minex: bool, max: f64, maxex: bool): usize {
  if (!scoreRangeMayHit(zs, min, minex, max, maxex)) return 0;
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    while (f != 0 && !gteMin(nodeScore(f), min, minex)) {
      p = f;
      f = fwd(p, i);
    }
  }
  const x = fwd(p, 0);
  return x != 0 && lteMax(nodeScore(x), max, maxex) ? x : 0;
}

function lastInScoreRange(zs: ZSet, min: f64, minex: bool, max: f64, maxex: bool): usize {
  if (!scoreRangeMayHit(zs, min, minex, max, maxex)) return 0;
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    while (f != 0 && lteMax(nodeScore(f), max, maxex)) {
      p = f;
      f = fwd(p, i);
    }
  }
  return p != zs.header && gteMin(nodeScore(p), min, minex) ? p : 0;
}

// ---- lex ranges -------------------------------------------------------------

// A lex bound: bytes and a kind. "-" and "+" are the least and greatest
// strings; like Redis's shared.minstring/maxstring they compare equal only
// to themselves.
// @ts-ignore: decorator
@inline const LEX_INCLUSIVE: u32 = 0;
// @ts-ignore: decorator
@inline const LEX_EXCLUSIVE: u32 = 1;
// @ts-ignore: decorator
@inline const LEX_MIN: u32 = 2;
// @ts-ignore: decorator
@inline const LEX_MAX: u32 = 3;

// Redis's sdscmplex.
function lexCompare(a: usize, alen: u32, akind: u32, b: usize, blen: u32, bkind: u32): i32 {
  if (akind >= LEX_MIN && akind == bkind) return 0;
  if (akind == LEX_MIN || bkind == LEX_MAX) return -1;
  if (akind == LEX_MAX || bkind == LEX_MIN) return 1;
  return bytesCompare(a, alen, b, blen);
}

// The lex range of the current operation: state.lexMin*, state.lexMax*.

function setLex(minPtr: usize, minLen: u32, minKind: u32, maxPtr: usize, maxLen: u32, maxKind: u32): void {
  state.lexMinPtr = minPtr; state.lexMinLen = minLen; state.lexMinKind = minKind;
  state.lexMaxPtr = maxPtr; state.lexMaxLen = maxLen; state.lexMaxKind = maxKind;
}

function lexGteMin(n: usize): bool {
  const c = lexCompare(n + N_MEMBER, nodeMemberLen(n), LEX_INCLUSIVE, state.lexMinPtr, state.lexMinLen, state.lexMinKind);
  return state.lexMinKind == LEX_INCLUSIVE ? c >= 0 : c > 0;
}

function lexLteMax(n: usize): bool {
  const c = lexCompare(n + N_MEMBER, nodeMemberLen(n), LEX_INCLUSIVE, state.lexMaxPtr, state.lexMaxLen, state.lexMaxKind);
  return state.lexMaxKind == LEX_INCLUSIVE ? c <= 0 : c < 0;
}

function lexRangeMayHit(zs: ZSet): bool {
  const c = lexCompare(state.lexMinPtr, state.lexMinLen, state.lexMinKind, state.lexMaxPtr, state.lexMaxLen, state.lexMaxKind);
  if (c > 0 || (c == 0 && (state.lexMinKind != LEX_INCLUSIVE || state.lexMaxKind != LEX_INCLUSIVE))) return false;
  if (zs.tail == 0 || !lexGteMin(zs.tail)) return false;
  const first = fwd(zs.header, 0);
  return first != 0 && lexLteMax(first);
}

function firstInLexRange(zs: ZSet): usize {
  if (!lexRangeMayHit(zs)) return 0;
  if (zs.compact != 0) {
    // Redis's listpack walk: the first member >= min, if it is <= max.
    for (let x = fwd(zs.header, 0); x != 0; x = fwd(x, 0)) {
      if (lexGteMin(x)) return lexLteMax(x) ? x : 0;
    }
    return 0;
  }
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    while (f != 0 && !lexGteMin(f)) {
      p = f;
      f = fwd(p, i);
    }
  }
  const x = fwd(p, 0);
  return x != 0 && lexLteMax(x) ? x : 0;
}

function lastInLexRange(zs: ZSet): usize {
  if (!lexRangeMayHit(zs)) return 0;
  if (zs.compact != 0) {
    for (let x = zs.tail; x != 0; x = backward(x)) {
      if (lexLteMax(x)) return lexGteMin(x) ? x : 0;
    }
    return 0;
  }
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    while (f != 0 && lexLteMax(f)) {
      p = f;
      f = fwd(p, i);
    }
  }
  return p != zs.header && lexGteMin(p) ? p : 0;
}

// ---- output -------------------------------------------------------------------

function outNode(n: usize): void {
  const len = nodeMemberLen(n);
  const at = out_reserve(12 + <usize>len);
  store<u32>(at, len);
  memory.copy(at + 4, n + N_MEMBER, len);
  store<f64>(at + 4 + <usize>len, nodeScore(n));
}

/**
 * Writes up to `limit` nodes (all if limit < 0) from `start`, walking
 * backward or forward, skipping `offset` first (O(log n) by rank). With
 * `kind` 1 the walk stops at the first node out of the score range, with 2
 * out of the lex range, with 0 it never stops early.
 */
function emitFrom(
  zs: ZSet, start: usize, reverse: bool, offset: f64, limit: f64,
  kind: i32, min: f64, minex: bool, max: f64, maxex: bool,
): u32 {
  let x = start;
  if (x == 0 || offset < 0) return 0;
  if (offset > 0) {
    const r = <f64>rankOf(zs, x);
    const target = reverse ? r - offset : r + offset;
    if (target < 1 || target > <f64>zs.length) return 0;
    x = nodeAtRank(zs, <u32>target);
  }
  let count: u32 = 0;
  let left = limit;
  while (x != 0 && left != 0) {
    if (kind == 1) {
      if (reverse ? !gteMin(nodeScore(x), min, minex) : !lteMax(nodeScore(x), max, maxex)) break;
    } else if (kind == 2) {
      if (reverse ? !lexGteMin(x) : !lexLteMax(x)) break;
    }
    outNode(x);
    count++;
    if (left > 0) left--;
    x = reverse ? backward(x) : fwd(x, 0);
  }
  return count;
}

// ---- exports: one member --------------------------------------------------------

/** Appends the element count and every member with its score, in rank order, to the output (snapshot_dump). */
export function zsetDumpInto(zsp: usize): void {
  const zs = changetype<ZSet>(zsp);
  out_u32(zs.length);
  for (let x = fwd(zs.header, 0); x != 0; x = fwd(x, 0)) outNode(x);
}

/** A new empty set; `firstMemberLen` decides, as in ZADD, whether it starts compact (-1: never). */
export function zs_new(firstMemberLen: i32): usize {
  const zs = zsetNew();
  if (firstMemberLen >= 0 && <u32>firstMemberLen <= LISTPACK_MAX_VALUE) zs.compact = 1;
  return changetype<usize>(zs);
}

/**
 * Redis's zsetConvertToListpackIfNeeded, for the results of STORE commands:
 * a small result becomes compact (and its -0 scores 0).
 */
export function zs_store_compact(zsp: usize): void {
  const zs = changetype<ZSet>(zsp);
  if (zs.length > LISTPACK_MAX_ENTRIES) return;
  for (let x = fwd(zs.header, 0); x != 0; x = fwd(x, 0)) {
    if (nodeMemberLen(x) > LISTPACK_MAX_VALUE) return;
  }
  zs.compact = 1;
  for (let x = fwd(zs.header, 0); x != 0; x = fwd(x, 0)) setScore(x, compactScore(zs, nodeScore(x)));
}

export function zs_is_compact(zs: usize): i32 {
  return <i32>changetype<ZSet>(zs).compact;
}

export function zs_free(zs: usize): void {
  zsetFree(changetype<ZSet>(zs));
}

export function zs_len(zs: usize): u32 {
  return changetype<ZSet>(zs).length;
}

// ZADD input flags, as the host passes them.
// @ts-ignore: decorator
@inline const ZADD_INCR: i32 = 1;
// @ts-ignore: decorator
@inline const ZADD_NX: i32 = 2;
// @ts-ignore: decorator
@inline const ZADD_XX: i32 = 4;
// @ts-ignore: decorator
@inline const ZADD_GT: i32 = 8;
// @ts-ignore: decorator
@inline const ZADD_LT: i32 = 16;
// ZADD results.
// @ts-ignore: decorator
@inline const ZADD_ADDED: i32 = 1;
// @ts-ignore: decorator
@inline const ZADD_UPDATED: i32 = 2;
// @ts-ignore: decorator
@inline const ZADD_NOP: i32 = 4;
// @ts-ignore: decorator
@inline const ZADD_NAN: i32 = 8;

/**
 * Redis's zsetAdd: adds or updates one member under the flags. Returns the
 * result flags; the resulting score is in control slot f64[0] unless NOP or
 * NAN (the increment gave NaN: nothing changed).
 */
export function zs_add(zsp: usize, mptr: usize, mlen: u32, score: f64, flags: i32): i32 {
  const zs = changetype<ZSet>(zsp);
  if (isNaN(score)) return ZADD_NAN;
  const hash = hashBytes(mptr, mlen);
  const x = dictFind(zs.dict, hash, mptr, mlen);
  if (x != 0) {
    if ((flags & ZADD_NX) != 0) return ZADD_NOP;
    const current = nodeScore(x);
    let wanted = score;
    if ((flags & ZADD_INCR) != 0) {
      wanted += current;
      if (isNaN(wanted)) return ZADD_NAN;
    }
    if (((flags & ZADD_LT) != 0 && wanted >= current) || ((flags & ZADD_GT) != 0 && wanted <= current)) return ZADD_NOP;
    ctlSetF64(0, wanted);
    if (wanted == current) return 0;
    updateScore(zs, x, compactScore(zs, wanted));
    return ZADD_UPDATED;
  }
  if ((flags & ZADD_XX) != 0) return ZADD_NOP;
  ctlSetF64(0, score);
  addNew(zs, mptr, mlen, score);
  return ZADD_ADDED;
}

/** Adds a member known to be absent, under the compact rules. */
function addNew(zs: ZSet, mptr: usize, mlen: u32, score: f64): usize {
  if (zs.compact != 0 && (zs.length + 1 > LISTPACK_MAX_ENTRIES || mlen > LISTPACK_MAX_VALUE)) zs.compact = 0;
  const n = nodeAlloc(randomLevel(), compactScore(zs, score), mptr, mlen, hashBytes(mptr, mlen));
  listInsert(zs, n);
  dictInsert(zs.dict, n);
  return n;
}

/** Moves node x to a new score; in place when its neighbours still bracket it. */
function updateScore(zs: ZSet, x: usize, score: f64): void {
  const prev = backward(x);
  const next = fwd(x, 0);
  const mptr = x + N_MEMBER;
  const mlen = nodeMemberLen(x);
  const prevOk = prev == 0 || nodeBefore(prev, score, mptr, mlen);
  let nextOk = next == 0;
  if (!nextOk) {
    // next must order after (score, member): score < next.score, or equal and member < next's.
    const ns = nodeScore(next);
    nextOk = score < ns || (score == ns && bytesCompare(mptr, mlen, next + N_MEMBER, nodeMemberLen(next)) < 0);
  }
  if (prevOk && nextOk) {
    setScore(x, score);
    return;
  }
  listUnlink(zs, x);
  setScore(x, score);
  listInsert(zs, x);
}

/** The member's score, or NaN when absent (scores are never NaN). */
export function zs_score(zs: usize, mptr: usize, mlen: u32): f64 {
  const x = findMember(changetype<ZSet>(zs), mptr, mlen);
  return x == 0 ? NaN : nodeScore(x);
}

/** Removes a member; returns 1 if it was there. */
export function zs_rem(zsp: usize, mptr: usize, mlen: u32): i32 {
  const zs = changetype<ZSet>(zsp);
  const x = findMember(zs, mptr, mlen);
  if (x == 0) return 0;
  removeNode(zs, x);
  return 1;
}

/** The 0-based rank (from the top when reverse), or -1; the score goes to control f64[0]. */
export function zs_rank(zsp: usize, mptr: usize, mlen: u32, reverse: i32): i32 {
  const zs = changetype<ZSet>(zsp);
  const x = findMember(zs, mptr, mlen);
  if (x == 0) return -1;
  ctlSetF64(0, nodeScore(x));
  const r = rankOf(zs, x);
  return reverse != 0 ? <i32>(zs.length - r) : <i32>(r - 1);
}

// ---- exports: ranges -------------------------------------------------------------

/** Writes ranks start..end (0-based, inclusive, already clamped), from the top when reverse. */
export function zs_range_rank(zsp: usize, start: u32, end: u32, reverse: i32): u32 {
  const zs = changetype<ZSet>(zsp);
  out_reset();
  if (start > end || end >= zs.length) return 0;
  return emitFrom(zs, zsNodeAtIndex(zsp, start, reverse), reverse != 0, 0, <f64>(end - start + 1), 0, 0, false, 0, false);
}

/**
 * The node at 0-based index `start` (< length), counted from the top when
 * reverse. With zsNextNode, the walk of ZRANGE by rank; the batched executor
 * (exec.ts) walks it itself to write RESP straight from the nodes.
 */
export function zsNodeAtIndex(zsp: usize, start: u32, reverse: i32): usize {
  const zs = changetype<ZSet>(zsp);
  if (reverse != 0) return start > 0 ? nodeAtRank(zs, zs.length - start) : zs.tail;
  return start > 0 ? nodeAtRank(zs, start + 1) : fwd(zs.header, 0);
}

/** The node after x in rank order (before it when reverse); 0 past the end. */
export function zsNextNode(x: usize, reverse: i32): usize {
  return reverse != 0 ? backward(x) : fwd(x, 0);
}

/** Writes the elements with min <= score <= max (or exclusive), with LIMIT offset/count (count < 0: all). */
export function zs_range_score(
  zsp: usize, min: f64, minex: i32, max: f64, maxex: i32, reverse: i32, offset: f64, limit: f64,
): u32 {
  const zs = changetype<ZSet>(zsp);
  out_reset();
  if (offset > 0 && offset >= <f64>zs.length) return 0;
  const x = reverse != 0
    ? lastInScoreRange(zs, min, minex != 0, max, maxex != 0)
    : firstInScoreRange(zs, min, minex != 0, max, maxex != 0);
  return emitFrom(zs, x, reverse != 0, offset, limit, 1, min, minex != 0, max, maxex != 0);
}

/** Writes the elements in a lex range (kinds: 0 '[', 1 '(', 2 '-', 3 '+'), with LIMIT. */
export function zs_range_lex(
  zsp: usize, minPtr: usize, minLen: u32, minKind: u32, maxPtr: usize, maxLen: u32, maxKind: u32,
  reverse: i32, offset: f64, limit: f64,
): u32 {
  const zs = changetype<ZSet>(zsp);
  out_reset();
  setLex(minPtr, minLen, minKind, maxPtr, maxLen, maxKind);
  const x = reverse != 0 ? lastInLexRange(zs) : firstInLexRange(zs);
  return emitFrom(zs, x, reverse != 0, offset, limit, 2, 0, false, 0, false);
}

export function zs_count_score(zsp: usize, min: f64, minex: i32, max: f64, maxex: i32): u32 {
  const zs = changetype<ZSet>(zsp);
  const first = firstInScoreRange(zs, min, minex != 0, max, maxex != 0);
  if (first == 0) return 0;
  const last = lastInScoreRange(zs, min, minex != 0, max, maxex != 0);
  return rankOf(zs, last) - rankOf(zs, first) + 1;
}

export function zs_count_lex(zsp: usize, minPtr: usize, minLen: u32, minKind: u32, maxPtr: usize, maxLen: u32, maxKind: u32): u32 {
  const zs = changetype<ZSet>(zsp);
  setLex(minPtr, minLen, minKind, maxPtr, maxLen, maxKind);
  const first = firstInLexRange(zs);
  if (first == 0) return 0;
  if (zs.compact != 0) {
    // Redis's listpack count: forward from the first while <= max.
    let count: u32 = 0;
    for (let x = first; x != 0 && lexLteMax(x); x = fwd(x, 0)) count++;
    return count;
  }
  const last = lastInLexRange(zs);
  return rankOf(zs, last) - rankOf(zs, first) + 1;
}

/** Removes a run of nodes starting at x (update[] set for x), while `inRange` holds. */
function removeRun(zs: ZSet, first: usize, kind: i32, count: u32, max: f64, maxex: bool): u32 {
  let removed: u32 = 0;
  let x = first;
  while (x != 0) {
    if (kind == 0 && removed >= count) break;
    if (kind == 1 && !lteMax(nodeScore(x), max, maxex)) break;
    if (kind == 2 && !lexLteMax(x)) break;
    const next = fwd(x, 0);
    listUnlinkAt(zs, x);
    dictUnlinkEntry(zs.dict, x);
    nodeFree(x);
    removed++;
    x = next;
  }
  return removed;
}

/** Removes ranks start..end (0-based, inclusive, clamped by the caller). */
export function zs_remrange_rank(zsp: usize, start: u32, end: u32): u32 {
  const zs = changetype<ZSet>(zsp);
  if (start > end || end >= zs.length) return 0;
  // update[i]: last node on level i with rank <= start (1-based rank start).
  let traversed: u32 = 0;
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    while (f != 0 && traversed + span(p, i) < start + 1) {
      traversed += span(p, i);
      p = f;
      f = fwd(p, i);
    }
    updateSet(i, p);
  }
  return removeRun(zs, fwd(p, 0), 0, end - start + 1, 0, false);
}

export function zs_remrange_score(zsp: usize, min: f64, minex: i32, max: f64, maxex: i32): u32 {
  const zs = changetype<ZSet>(zsp);
  let p = zs.header;
  for (let i = zs.level - 1; i >= 0; i--) {
    let f = fwd(p, i);
    while (f != 0 && !gteMin(nodeScore(f), min, minex != 0)) {
      p = f;
      f = fwd(p, i);
    }
    updateSet(i, p);
  }
  return removeRun(zs, fwd(p, 0), 1, 0, max, maxex != 0);
}

export function zs_remrange_lex(zsp: usize, minPtr: usize, minLen: u32, minKind: u32, maxPtr: usize, maxLen: u32, maxKind: u32): u32 {
  const zs = changetype<ZSet>(zsp);
  setLex(minPtr, minLen, minKind, maxPtr, maxLen, maxKind);
  const first = firstInLexRange(zs);
  if (first == 0) return 0;
  searchBefore(zs, nodeScore(first), first + N_MEMBER, nodeMemberLen(first));
  return removeRun(zs, first, 2, 0, 0, false);
}

/** Pops up to `count` elements from the low end (or the high end when max), writing them out. */
export function zs_pop(zsp: usize, count: u32, max: i32): u32 {
  const zs = changetype<ZSet>(zsp);
  out_reset();
  let popped: u32 = 0;
  while (popped < count && zs.length > 0) {
    const x = max != 0 ? zs.tail : fwd(zs.header, 0);
    outNode(x);
    removeNode(zs, x);
    popped++;
  }
  return popped;
}

/** Writes the elements at the given 0-based ranks (u32 array at ptr), in that order. */
export function zs_at_ranks(zsp: usize, ptr: usize, n: u32): u32 {
  const zs = changetype<ZSet>(zsp);
  out_reset();
  for (let i: u32 = 0; i < n; i++) {
    const r = load<u32>(ptr + (<usize>i << 2));
    const x = nodeAtRank(zs, r + 1);
    assert(x != 0);
    outNode(x);
  }
  return n;
}

/**
 * One ZSCAN step over the member index: visits buckets from `cursor` until
 * at least `count` elements were seen (at most count*10 buckets), writes
 * them out, and returns the next cursor (0 when done).
 */
export function zs_scan(zsp: usize, cursor: u32, count: u32): u32 {
  const zs = changetype<ZSet>(zsp);
  out_reset();
  const v = dictScan(zs.dict, cursor, count);
  const n = entryVecLen();
  for (let i: u32 = 0; i < n; i++) outNode(entryVecGet(i));
  return v;
}

// ---- copy, and building from the output buffer ----------------------------------

export function zsetCopy(src: ZSet): ZSet {
  const zs = zsetNew();
  zs.compact = src.compact;
  // From the greatest down, so each insertion stops at the header: O(1) each.
  let x = src.tail;
  while (x != 0) {
    const n = nodeAlloc(nodeLevels(x), nodeScore(x), x + N_MEMBER, nodeMemberLen(x), load<u32>(x + ENTRY_HASH));
    listInsert(zs, n);
    dictInsert(zs.dict, n);
    x = backward(x);
  }
  return zs;
}

/**
 * A new sorted set of the `n` records [len][member][score] at ptr (the
 * layout ranges write), e.g. the result of a range read back for
 * ZRANGESTORE. Members must be distinct.
 */
export function zs_from_records(ptr: usize, n: u32): usize {
  const zs = zsetNew();
  zs.compact = 1; // ZRANGESTORE starts from a listpack and converts as it grows.
  let p = ptr;
  for (let i: u32 = 0; i < n; i++) {
    const len = load<u32>(p);
    const score = load<f64>(p + 4 + <usize>len);
    addNew(zs, p + 4, len, score);
    p += 12 + <usize>len;
  }
  return changetype<usize>(zs);
}


// ---- aggregation: ZUNION, ZINTER, ZDIFF (and their STORE forms), ZINTERCARD ----

// @ts-ignore: decorator
@inline const AGG_SUM: i32 = 0;
// @ts-ignore: decorator
@inline const AGG_MIN: i32 = 1;
// @ts-ignore: decorator
@inline const AGG_MAX: i32 = 2;
// @ts-ignore: decorator
@inline const OP_UNION: i32 = 0;
// @ts-ignore: decorator
@inline const OP_INTER: i32 = 1;
// @ts-ignore: decorator
@inline const OP_DIFF: i32 = 2;

// Redis's zunionInterAggregate: +inf + -inf is taken as 0, and MIN/MAX use
// the same comparisons (so a NaN operand keeps the target).
function aggregate(target: f64, v: f64, agg: i32): f64 {
  if (agg == AGG_SUM) {
    const sum = target + v;
    return isNaN(sum) ? 0 : sum;
  }
  if (agg == AGG_MIN) return v < target ? v : target;
  return v > target ? v : target;
}

// A source record, 16 bytes: [zset u32 (0 = missing key)][unused u32][weight f64].
function srcSet(srcs: usize, i: u32): usize { return <usize>load<u32>(srcs + (<usize>i << 4)); }
function srcWeight(srcs: usize, i: u32): f64 { return load<f64>(srcs + (<usize>i << 4) + 8); }
function srcLen(srcs: usize, i: u32): u32 {
  const s = srcSet(srcs, i);
  return s == 0 ? 0 : changetype<ZSet>(s).length;
}

/**
 * Computes a union, intersection or difference of `n` sources (records at
 * srcs, already in Redis's processing order: by increasing size for union
 * and intersection, as given for difference) and returns the result as a new
 * sorted set (possibly empty) for the host to store or read and free.
 * Sources are only read. For op INTER with cardinalityOnly, returns nothing
 * (0) and puts the count in control i32[0], stopping at `limit` (0: none).
 */
export function zs_aggregate(op: i32, srcs: usize, n: u32, agg: i32, cardinalityOnly: i32, limit: f64): usize {
  if (cardinalityOnly != 0) {
    ctlSetI32(0, <i32>interCount(srcs, n, limit));
    return 0;
  }
  const dst = zsetNew();
  if (op == OP_UNION) unionInto(dst, srcs, n, agg);
  else if (op == OP_INTER) interInto(dst, srcs, n, agg);
  else diffInto(dst, srcs, n);
  return changetype<usize>(dst);
}

function unionInto(dst: ZSet, srcs: usize, n: u32, agg: i32): void {
  // Accumulate in the dict only, then link every node into the list once
  // its final score is known.
  for (let i: u32 = 0; i < n; i++) {
    if (srcLen(srcs, i) == 0) continue;
    const src = changetype<ZSet>(srcSet(srcs, i));
    const w = srcWeight(srcs, i);
    for (let x = src.tail; x != 0; x = backward(x)) {
      let score = w * nodeScore(x);
      if (isNaN(score)) score = 0;
      const mptr = x + N_MEMBER;
      const mlen = nodeMemberLen(x);
      const hash = load<u32>(x + ENTRY_HASH);
      const e = dictFind(dst.dict, hash, mptr, mlen);
      if (e != 0) {
        setScore(e, aggregate(nodeScore(e), score, agg));
      } else {
        dictInsert(dst.dict, nodeAlloc(randomLevel(), score, mptr, mlen, hash));
      }
    }
  }
  entryVecReset();
  dictCollectAll(dst.dict);
  const count = entryVecLen();
  for (let i: u32 = 0; i < count; i++) listInsert(dst, entryVecGet(i));
}

/** For intersection: the score of x in every other source aggregated, or NaN if absent from one. */
function interScore(srcs: usize, n: u32, x: usize, agg: i32): f64 {
  let score = srcWeight(srcs, 0) * nodeScore(x);
  if (isNaN(score)) score = 0;
  const src0 = srcSet(srcs, 0);
  const mptr = x + N_MEMBER;
  const mlen = nodeMemberLen(x);
  const hash = load<u32>(x + ENTRY_HASH);
  for (let j: u32 = 1; j < n; j++) {
    const sj = srcSet(srcs, j);
    let value: f64;
    if (sj == src0) {
      value = nodeScore(x) * srcWeight(srcs, j);
    } else {
      const e = dictPeek(changetype<ZSet>(sj).dict, hash, mptr, mlen);
      if (e == 0) return NaN;
      value = nodeScore(e) * srcWeight(srcs, j);
    }
    score = aggregate(score, value, agg);
  }
  return score;
}

function interInto(dst: ZSet, srcs: usize, n: u32, agg: i32): void {
  if (srcLen(srcs, 0) == 0) return;
  for (let j: u32 = 1; j < n; j++) if (srcLen(srcs, j) == 0) return;
  const src0 = changetype<ZSet>(srcSet(srcs, 0));
  for (let x = src0.tail; x != 0; x = backward(x)) {
    const score = interScore(srcs, n, x, agg);
    if (isNaN(score)) continue;
    addNew(dst, x + N_MEMBER, nodeMemberLen(x), score);
  }
}

function interCount(srcs: usize, n: u32, limit: f64): u32 {
  if (srcLen(srcs, 0) == 0) return 0;
  for (let j: u32 = 1; j < n; j++) if (srcLen(srcs, j) == 0) return 0;
  const src0 = changetype<ZSet>(srcSet(srcs, 0));
  let count: u32 = 0;
  for (let x = src0.tail; x != 0; x = backward(x)) {
    if (isNaN(interScore(srcs, n, x, AGG_SUM))) continue;
    count++;
    if (limit > 0 && <f64>count >= limit) break;
  }
  return count;
}

function diffInto(dst: ZSet, srcs: usize, n: u32): void {
  if (srcLen(srcs, 0) == 0) return;
  const src0 = srcSet(srcs, 0);
  for (let x = changetype<ZSet>(src0).tail; x != 0; x = backward(x)) {
    const mptr = x + N_MEMBER;
    const mlen = nodeMemberLen(x);
    const hash = load<u32>(x + ENTRY_HASH);
    let exists = false;
    for (let j: u32 = 1; j < n && !exists; j++) {
      const sj = srcSet(srcs, j);
      if (sj == src0) exists = true;
      else if (sj != 0 && dictPeek(changetype<ZSet>(sj).dict, hash, mptr, mlen) != 0) exists = true;
    }
    if (exists) continue;
    addNew(dst, mptr, mlen, nodeScore(x));
  }
}

/** Self-check of the invariants in the header essay; returns 1 if they hold (for tests). */
export function zs_check(zsp: usize): i32 {
  const zs = changetype<ZSet>(zsp);
  if (dictSize(zs.dict) != zs.length) return 0;
  // Level 0: order, backward links, tail, length.
  let count: u32 = 0;
  let prev: usize = 0;
  for (let x = fwd(zs.header, 0); x != 0; x = fwd(x, 0)) {
    if (backward(x) != prev) return 0;
    if (prev != 0 && !nodeBefore(prev, nodeScore(x), x + N_MEMBER, nodeMemberLen(x))) return 0;
    if (isNaN(nodeScore(x))) return 0;
    if (zs.compact != 0 && (nodeMemberLen(x) > LISTPACK_MAX_VALUE || (nodeScore(x) == 0 && 1 / nodeScore(x) < 0))) return 0;
    if (findMember(zs, x + N_MEMBER, nodeMemberLen(x)) != x) return 0;
    count++;
    prev = x;
  }
  if (count != zs.length || zs.tail != prev) return 0;
  if (zs.compact != 0 && zs.length > LISTPACK_MAX_ENTRIES) return 0;
  // Every level: spans add up to ranks.
  for (let i = 0; i < zs.level; i++) {
    let rank: u32 = 0;
    let p = zs.header;
    while (fwd(p, i) != 0) {
      rank += span(p, i);
      p = fwd(p, i);
      if (rankOf(zs, p) != rank) return 0;
    }
  }
  return 1;
}

/**
 * Bytes of memory a sorted set holds, for MEMORY USAGE: its header, its
 * dict's bucket arrays, the skiplist header node, and its nodes. With
 * `samples` > 0 and more nodes than that, the first `samples` nodes are
 * measured and their average counted for every node, as Redis samples.
 */
export function zsetBytes(zs: ZSet, samples: u32): usize {
  let total = blockBytes(changetype<usize>(zs)) + dictOverheadBytes(zs.dict);
  total += blockBytes(zs.header - <usize>nodeLevels(zs.header) * LEVEL_BYTES);
  let seen: u32 = 0;
  let nodeBytes: usize = 0;
  let n = fwd(zs.header, 0);
  while (n != 0 && (samples == 0 || seen < samples)) {
    nodeBytes += blockBytes(n - <usize>nodeLevels(n) * LEVEL_BYTES);
    seen++;
    n = fwd(n, 0);
  }
  if (seen == 0) return total;
  if (seen < zs.length) nodeBytes = <usize>(<f64>nodeBytes / <f64>seen * <f64>zs.length);
  return total + nodeBytes;
}
