// A chained hash table of byte-string keys with incremental rehashing.
//
// No mutable state outside linear memory (core-wasm/state.ts): the last find's
// link and the entry vector are state.foundLink and state.vec*. A snapshot is a
// copy of memory, so nothing may live in a Wasm global.
//
// The design is Redis's dict: a power-of-two array of buckets, each the head
// of a singly linked chain of entries. Growing or shrinking allocates a second
// table and moves buckets over a few at a time, on every operation, so no
// single command pays for a whole resize. While both tables exist, lookups
// search both and inserts go to the new one.
//
// The table does not own a value layout. An entry is any block that starts
//
//   [ next u32 ][ hash u32 ][ keyLen u32 ] ... key bytes at keyOffset ...
//
// and each user (keyspace, hash, set, sorted-set index) adds its own header
// fields between keyLen and the key. The dict allocates and frees only its
// bucket arrays; entries are allocated and freed by their owners.
//
// SCAN uses Redis's reverse-binary cursor: the cursor's bits are incremented
// from the high end, so a bucket index visited in a small table maps to a
// contiguous run of buckets in a larger one and vice versa. Every key present
// for the whole scan is returned at least once, through any number of resizes.

import { alloc, allocZeroed, free, bytesEqual, blockBytes } from "./mem";
import { randomBelow } from "./hashing";
import { state } from "./state";

// @ts-ignore: decorator
@inline export const ENTRY_NEXT: usize = 0;
// @ts-ignore: decorator
@inline export const ENTRY_HASH: usize = 4;
// @ts-ignore: decorator
@inline export const ENTRY_KEYLEN: usize = 8;

// @ts-ignore: decorator
@inline const INITIAL_BUCKETS: u32 = 4;
// Each rehash step moves at most this many buckets...
// @ts-ignore: decorator
@inline const REHASH_BUCKETS_PER_STEP: i32 = 1;
// ...and looks at no more than this many empty ones, so a step is O(1) even in
// a sparse table (Redis uses the same factor of ten).
// @ts-ignore: decorator
@inline const REHASH_EMPTY_VISITS_PER_BUCKET: i32 = 10;
// Shrink when fewer than one in this many buckets would be used.
// @ts-ignore: decorator
@inline const SHRINK_FILL_RATIO: u32 = 8;

@unmanaged
export class Dict {
  table0: usize;
  size0: u32;
  used0: u32;
  table1: usize;
  size1: u32;
  used1: u32;
  rehashIndex: i32;
  keyOffset: u32;
}

// Where the last successful find found its entry: the address of the link that
// points at it (a bucket slot or a predecessor's next field). Valid until the
// next call that changes this dict (state.foundLink).

export function lastFoundLink(): usize {
  return state.foundLink;
}

export function dictNew(keyOffset: u32): Dict {
  const d = changetype<Dict>(allocZeroed(offsetof<Dict>()));
  d.keyOffset = keyOffset;
  d.rehashIndex = -1;
  return d;
}

/** Frees the bucket arrays and the dict; the caller frees entries first. */
export function dictFreeTables(d: Dict): void {
  free(d.table0);
  free(d.table1);
  free(changetype<usize>(d));
}

export function dictSize(d: Dict): u32 {
  return d.used0 + d.used1;
}

export function dictIsRehashing(d: Dict): bool {
  return d.rehashIndex >= 0;
}

export function entryNext(e: usize): usize {
  return <usize>load<u32>(e + ENTRY_NEXT);
}
export function entryHash(e: usize): u32 {
  return load<u32>(e + ENTRY_HASH);
}
export function entryKeyLen(e: usize): u32 {
  return load<u32>(e + ENTRY_KEYLEN);
}

function rehashStep(d: Dict, buckets: i32): void {
  if (d.rehashIndex < 0) return;
  let emptyVisits = buckets * REHASH_EMPTY_VISITS_PER_BUCKET;
  const mask1 = d.size1 - 1;
  while (buckets-- > 0 && d.used0 != 0) {
    while (load<u32>(d.table0 + (<usize>d.rehashIndex << 2)) == 0) {
      d.rehashIndex++;
      if (--emptyVisits == 0) return;
    }
    const slot = d.table0 + (<usize>d.rehashIndex << 2);
    let e = <usize>load<u32>(slot);
    while (e != 0) {
      const next = entryNext(e);
      const target = d.table1 + (<usize>(entryHash(e) & mask1) << 2);
      store<u32>(e + ENTRY_NEXT, load<u32>(target));
      store<u32>(target, <u32>e);
      d.used0--;
      d.used1++;
      e = next;
    }
    store<u32>(slot, 0);
    d.rehashIndex++;
  }
  if (d.used0 == 0) finishRehash(d);
}

function finishRehash(d: Dict): void {
  free(d.table0);
  d.table0 = d.table1;
  d.size0 = d.size1;
  d.used0 = d.used1;
  d.table1 = 0;
  d.size1 = 0;
  d.used1 = 0;
  d.rehashIndex = -1;
}

/** Runs up to `steps` rehash steps; returns whether a rehash is still going. */
export function dictRehashSteps(d: Dict, steps: i32): bool {
  rehashStep(d, steps);
  return d.rehashIndex >= 0;
}

function nextPowerOfTwo(n: u32): u32 {
  let size = INITIAL_BUCKETS;
  while (size < n) size <<= 1;
  return size;
}

function startResize(d: Dict, wanted: u32): void {
  const size = nextPowerOfTwo(wanted);
  if (size == d.size0) return;
  const table = allocZeroed(<usize>size << 2);
  if (d.size0 == 0) {
    d.table0 = table;
    d.size0 = size;
    return;
  }
  d.table1 = table;
  d.size1 = size;
  d.rehashIndex = 0;
  if (d.used0 == 0) finishRehash(d);
}

function expandIfNeeded(d: Dict): void {
  if (d.rehashIndex >= 0) return;
  if (d.size0 == 0) {
    startResize(d, INITIAL_BUCKETS);
  } else if (d.used0 >= d.size0) {
    startResize(d, d.used0 + 1);
  }
}

function shrinkIfNeeded(d: Dict): void {
  if (d.rehashIndex >= 0) return;
  if (d.size0 > INITIAL_BUCKETS && d.used0 * SHRINK_FILL_RATIO < d.size0) {
    startResize(d, d.used0);
  }
}

function findIn(table: usize, size: u32, keyOffset: u32, hash: u32, kptr: usize, klen: u32): usize {
  if (size == 0) return 0;
  let link = table + (<usize>(hash & (size - 1)) << 2);
  let e = <usize>load<u32>(link);
  while (e != 0) {
    if (entryHash(e) == hash && entryKeyLen(e) == klen && bytesEqual(e + keyOffset, kptr, klen)) {
      state.foundLink = link;
      return e;
    }
    link = e + ENTRY_NEXT;
    e = <usize>load<u32>(link);
  }
  return 0;
}

/** The entry with this key, or 0. Sets lastFoundLink() on success. */
export function dictFind(d: Dict, hash: u32, kptr: usize, klen: u32): usize {
  if (d.rehashIndex >= 0) rehashStep(d, REHASH_BUCKETS_PER_STEP);
  const e = findIn(d.table0, d.size0, d.keyOffset, hash, kptr, klen);
  if (e != 0 || d.rehashIndex < 0) return e;
  return findIn(d.table1, d.size1, d.keyOffset, hash, kptr, klen);
}

/** Finds without doing rehash work, for read paths that must not move entries. */
export function dictPeek(d: Dict, hash: u32, kptr: usize, klen: u32): usize {
  const e = findIn(d.table0, d.size0, d.keyOffset, hash, kptr, klen);
  if (e != 0 || d.rehashIndex < 0) return e;
  return findIn(d.table1, d.size1, d.keyOffset, hash, kptr, klen);
}

/** Links a new entry whose hash and key are already written; the key must be absent. */
export function dictInsert(d: Dict, e: usize): void {
  if (d.rehashIndex >= 0) rehashStep(d, REHASH_BUCKETS_PER_STEP);
  expandIfNeeded(d);
  const hash = entryHash(e);
  if (d.rehashIndex >= 0) {
    const slot = d.table1 + (<usize>(hash & (d.size1 - 1)) << 2);
    store<u32>(e + ENTRY_NEXT, load<u32>(slot));
    store<u32>(slot, <u32>e);
    d.used1++;
  } else {
    const slot = d.table0 + (<usize>(hash & (d.size0 - 1)) << 2);
    store<u32>(e + ENTRY_NEXT, load<u32>(slot));
    store<u32>(slot, <u32>e);
    d.used0++;
  }
}

/** Points the link found by the last dictFind at a moved (reallocated) entry. */
export function dictRelinkFound(newEntry: usize): void {
  store<u32>(state.foundLink, <u32>newEntry);
}

function unlinkIn(table: usize, size: u32, keyOffset: u32, hash: u32, kptr: usize, klen: u32): usize {
  if (size == 0) return 0;
  let link = table + (<usize>(hash & (size - 1)) << 2);
  let e = <usize>load<u32>(link);
  while (e != 0) {
    if (entryHash(e) == hash && entryKeyLen(e) == klen && bytesEqual(e + keyOffset, kptr, klen)) {
      store<u32>(link, load<u32>(e + ENTRY_NEXT));
      return e;
    }
    link = e + ENTRY_NEXT;
    e = <usize>load<u32>(link);
  }
  return 0;
}

/** Removes the entry with this key from the table and returns it (0 if absent); the caller frees it. */
export function dictUnlink(d: Dict, hash: u32, kptr: usize, klen: u32): usize {
  if (d.rehashIndex >= 0) rehashStep(d, REHASH_BUCKETS_PER_STEP);
  let e = unlinkIn(d.table0, d.size0, d.keyOffset, hash, kptr, klen);
  if (e != 0) {
    d.used0--;
  } else if (d.rehashIndex >= 0) {
    e = unlinkIn(d.table1, d.size1, d.keyOffset, hash, kptr, klen);
    if (e != 0) d.used1--;
  }
  if (e != 0) {
    if (d.rehashIndex >= 0 && d.used0 == 0) finishRehash(d);
    shrinkIfNeeded(d);
  }
  return e;
}

/** Unlinks an entry by identity (its key is read from the entry itself). */
export function dictUnlinkEntry(d: Dict, e: usize): bool {
  return dictUnlink(d, entryHash(e), e + d.keyOffset, entryKeyLen(e)) == e;
}

/** Empties the table, calling nothing: the caller must have freed or kept the entries. */
export function dictClear(d: Dict): void {
  free(d.table0);
  free(d.table1);
  d.table0 = 0;
  d.table1 = 0;
  d.size0 = 0;
  d.size1 = 0;
  d.used0 = 0;
  d.used1 = 0;
  d.rehashIndex = -1;
}

// A reusable vector of entry pointers that scans and iterations fill.
state.vecPtr = alloc(1024 * 4);
state.vecCap = 1024;

export function entryVecReset(): void {
  state.vecLen = 0;
}
export function entryVecPush(e: usize): void {
  if (state.vecLen == state.vecCap) {
    const bigger = alloc(<usize>state.vecCap << 3);
    memory.copy(bigger, state.vecPtr, <usize>state.vecCap << 2);
    free(state.vecPtr);
    state.vecPtr = bigger;
    state.vecCap <<= 1;
  }
  store<u32>(state.vecPtr + (<usize>state.vecLen << 2), <u32>e);
  state.vecLen++;
}
export function entryVecLen(): u32 {
  return state.vecLen;
}
export function entryVecGet(i: u32): usize {
  return <usize>load<u32>(state.vecPtr + (<usize>i << 2));
}

function pushChain(table: usize, index: u32): void {
  let e = <usize>load<u32>(table + (<usize>index << 2));
  while (e != 0) {
    entryVecPush(e);
    e = entryNext(e);
  }
}

// Not @inline: asc 0.28 crashes inlining a function that assigns its parameter.
function reverseBits(v: u32): u32 {
  v = ((v >> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return (v >> 16) | (v << 16);
}

/**
 * Pushes the entries of the bucket(s) at `cursor` onto the entry vector and
 * returns the next cursor (0 when the scan is complete).
 */
export function dictScanStep(d: Dict, cursor: u32): u32 {
  if (dictSize(d) == 0) return 0;
  let v = cursor;
  if (d.rehashIndex < 0) {
    const m0 = d.size0 - 1;
    pushChain(d.table0, v & m0);
    v |= ~m0;
    v = reverseBits(v);
    v++;
    v = reverseBits(v);
    return v;
  }
  let small = d.table0, smallSize = d.size0;
  let large = d.table1, largeSize = d.size1;
  if (smallSize > largeSize) {
    small = d.table1; smallSize = d.size1;
    large = d.table0; largeSize = d.size0;
  }
  const m0 = smallSize - 1;
  const m1 = largeSize - 1;
  pushChain(small, v & m0);
  do {
    pushChain(large, v & m1);
    v |= ~m1;
    v = reverseBits(v);
    v++;
    v = reverseBits(v);
  } while ((v & (m0 ^ m1)) != 0);
  return v;
}

/**
 * One SCAN call: resets the entry vector and scans from `cursor` until at
 * least `count` entries were collected or the scan ends, visiting at most
 * count * 10 buckets (Redis's bound, so a sparse table cannot make one call
 * long). Returns the next cursor (0 when the scan is complete).
 */
export function dictScan(d: Dict, cursor: u32, count: u32): u32 {
  entryVecReset();
  let v = cursor;
  let maxBuckets = count * 10;
  do {
    v = dictScanStep(d, v);
  } while (v != 0 && entryVecLen() < count && --maxBuckets > 0);
  return v;
}

/** Pushes every entry onto the entry vector. */
export function dictCollectAll(d: Dict): void {
  for (let i: u32 = 0; i < d.size0; i++) pushChain(d.table0, i);
  for (let i: u32 = 0; i < d.size1; i++) pushChain(d.table1, i);
}

/**
 * A random entry, or 0 if empty. Picks random non-empty buckets, then a random
 * element of the chain: not perfectly uniform with long chains, as in Redis.
 */
export function dictRandomEntry(d: Dict): usize {
  if (dictSize(d) == 0) return 0;
  if (d.rehashIndex >= 0) rehashStep(d, REHASH_BUCKETS_PER_STEP);
  let head: usize = 0;
  if (d.rehashIndex >= 0) {
    // Buckets below rehashIndex in table0 are empty by construction.
    const total = d.size0 + d.size1;
    while (head == 0) {
      const i = randomBelow(total);
      if (i < d.size0) {
        if (i >= <u32>d.rehashIndex) head = <usize>load<u32>(d.table0 + (<usize>i << 2));
      } else {
        head = <usize>load<u32>(d.table1 + (<usize>(i - d.size0) << 2));
      }
    }
  } else {
    while (head == 0) head = <usize>load<u32>(d.table0 + (<usize>randomBelow(d.size0) << 2));
  }
  let chainLen: u32 = 0;
  for (let e = head; e != 0; e = entryNext(e)) chainLen++;
  let pick = randomBelow(chainLen);
  let e = head;
  while (pick-- > 0) e = entryNext(e);
  return e;
}

/**
 * The address of the bucket slot a hash falls in (table0 only), or 0. Only a
 * cache warm-up for batched lookups: reading the slots of many keys in one
 * tight loop, then their first entries in another, lets the CPU overlap the
 * cache misses that one lookup after another would wait for in turn.
 */
export function dictBucketSlot(d: Dict, hash: u32): usize {
  if (d.size0 == 0) return 0;
  return d.table0 + (<usize>(hash & (d.size0 - 1)) << 2);
}

/** Bytes of the dict's own blocks: its header and bucket arrays (not the entries), for MEMORY USAGE. */
export function dictOverheadBytes(d: Dict): usize {
  let total = blockBytes(changetype<usize>(d));
  if (d.table0 != 0) total += blockBytes(d.table0);
  if (d.table1 != 0) total += blockBytes(d.table1);
  return total;
}
