// The set value type: unique byte-string members.
//
// A set object is a Dict (dict.ts) whose entries carry nothing but the member:
//
//   0  next   u32   chain link (dict)
//   4  hash   u32   hash of the member (dict)
//   8  keyLen u32   member length (dict)
//   12 member bytes
//
// Only the "hashtable" encoding exists (encoding tag 0); there is no intset,
// so SMEMBERS of small integer sets is not in sorted order as in Redis.
//
// Set algebra works on a list of set objects (u32 pointers in the scratch
// region; the host leaves out missing keys where they count as empty):
//   - intersection walks the smallest set and probes the others, smallest
//     first, so a member fails as early as possible; it can stop at a limit
//     (SINTERCARD) and can count without writing anything;
//   - union inserts every member of every set into the destination;
//   - difference picks Redis's cheaper algorithm: probe each member of the
//     first set in the others (cost |first| * sets / 2), or copy the first set
//     and remove every member of the others (cost: the sum of the sizes).
// Each writes its members to the output buffer, or adds them to a destination
// set object when one is given (the *STORE commands build the result before
// they replace the destination key).

import { alloc, free } from "./mem";
import {
  Dict, dictNew, dictFind, dictPeek, dictInsert, dictUnlink, dictUnlinkEntry, dictSize,
  dictScan, entryVecLen, entryVecGet, entryKeyLen, entryHash, ENTRY_HASH, ENTRY_KEYLEN,
} from "./dict";
import { hashBytes } from "./hashing";
import { out_reset, out_bytes, out_u32 } from "./io";
import { sampleEntries, sampleAll, sampleLen, sampleGet, freeDictAndEntries } from "./sampling";

// @ts-ignore: decorator
@inline const S_MEMBER: usize = 12;

function memberPtr(e: usize): usize {
  return e + S_MEMBER;
}

function outMember(e: usize): void {
  out_bytes(memberPtr(e), entryKeyLen(e));
}

/** Appends the member count and every member to the output (snapshot_dump). */
export function setDumpInto(s: usize): void {
  sampleAll(changetype<Dict>(s));
  const n = sampleLen();
  out_u32(n);
  for (let i: u32 = 0; i < n; i++) outMember(sampleGet(i));
}

export function set_new(): usize {
  return changetype<usize>(dictNew(<u32>S_MEMBER));
}

export function set_free(s: usize): void {
  freeDictAndEntries(changetype<Dict>(s));
}

export function set_card(s: usize): u32 {
  return dictSize(changetype<Dict>(s));
}

/** Adds a member whose hash is known; returns 1 if it was new. */
function addHashed(d: Dict, hash: u32, mptr: usize, mlen: u32): i32 {
  if (dictFind(d, hash, mptr, mlen) != 0) return 0;
  const e = alloc(S_MEMBER + <usize>mlen);
  store<u32>(e + ENTRY_HASH, hash);
  store<u32>(e + ENTRY_KEYLEN, mlen);
  memory.copy(e + S_MEMBER, mptr, mlen);
  dictInsert(d, e);
  return 1;
}

/** Adds the member of entry `e` (of another set) to `d`, reusing its hash. */
function addEntry(d: Dict, e: usize): i32 {
  return addHashed(d, entryHash(e), memberPtr(e), entryKeyLen(e));
}

function hasEntry(d: Dict, e: usize): bool {
  return dictPeek(d, entryHash(e), memberPtr(e), entryKeyLen(e)) != 0;
}

/** A deep copy (COPY). */
export function set_copy(s: usize): usize {
  const c = changetype<Dict>(set_new());
  sampleAll(changetype<Dict>(s));
  const n = sampleLen();
  for (let i: u32 = 0; i < n; i++) {
    const e = sampleGet(i);
    const size = S_MEMBER + <usize>entryKeyLen(e);
    const copy = alloc(size);
    memory.copy(copy, e, size);
    dictInsert(c, copy);
  }
  return changetype<usize>(c);
}

export function set_add(s: usize, mptr: usize, mlen: u32): i32 {
  return addHashed(changetype<Dict>(s), hashBytes(mptr, mlen), mptr, mlen);
}

export function set_rem(s: usize, mptr: usize, mlen: u32): i32 {
  const e = dictUnlink(changetype<Dict>(s), hashBytes(mptr, mlen), mptr, mlen);
  if (e == 0) return 0;
  free(e);
  return 1;
}

export function set_has(s: usize, mptr: usize, mlen: u32): i32 {
  return dictFind(changetype<Dict>(s), hashBytes(mptr, mlen), mptr, mlen) != 0 ? 1 : 0;
}

/** SADD over n member records [len u32][bytes]; returns how many were new. */
export function set_add_batch(s: usize, recs: usize, n: u32): u32 {
  let p = recs;
  let added: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const mlen = load<u32>(p);
    added += <u32>set_add(s, p + 4, mlen);
    p += 4 + <usize>mlen;
  }
  return added;
}

/** SREM over n member records; returns how many were removed. */
export function set_rem_batch(s: usize, recs: usize, n: u32): u32 {
  let p = recs;
  let removed: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const mlen = load<u32>(p);
    removed += <u32>set_rem(s, p + 4, mlen);
    p += 4 + <usize>mlen;
  }
  return removed;
}

/** SMISMEMBER: writes one u32 (1 or 0) per member record. */
export function set_has_batch(s: usize, recs: usize, n: u32): void {
  out_reset();
  let p = recs;
  for (let i: u32 = 0; i < n; i++) {
    const mlen = load<u32>(p);
    out_u32(<u32>set_has(s, p + 4, mlen));
    p += 4 + <usize>mlen;
  }
}

/** Writes every member; returns the count. */
export function set_members(s: usize): u32 {
  out_reset();
  sampleAll(changetype<Dict>(s));
  const n = sampleLen();
  for (let i: u32 = 0; i < n; i++) outMember(sampleGet(i));
  return n;
}

/** One SSCAN step (see hash_scan): writes members, returns the next cursor. */
export function set_scan(s: usize, cursor: u32, count: u32): u32 {
  const d = changetype<Dict>(s);
  out_reset();
  const v = dictScan(d, cursor, count);
  const n = entryVecLen();
  for (let i: u32 = 0; i < n; i++) outMember(entryVecGet(i));
  return v;
}

/** SRANDMEMBER with a count: writes the chosen members (sampling.ts); returns how many. */
export function set_random(s: usize, count: u32, unique: bool): u32 {
  out_reset();
  sampleEntries(changetype<Dict>(s), count, unique);
  const n = sampleLen();
  for (let i: u32 = 0; i < n; i++) outMember(sampleGet(i));
  return n;
}

/**
 * SPOP: removes `count` distinct random members (all of them if count >=
 * size), writes them, and returns how many. The host deletes the key when
 * the set is left empty.
 */
export function set_pop(s: usize, count: u32): u32 {
  const d = changetype<Dict>(s);
  out_reset();
  sampleEntries(d, count, true);
  const n = sampleLen();
  for (let i: u32 = 0; i < n; i++) {
    const e = sampleGet(i);
    outMember(e);
    dictUnlinkEntry(d, e);
    free(e);
  }
  return n;
}

// ---- set algebra --------------------------------------------------------

function setAt(sets: usize, i: u32): Dict {
  return changetype<Dict>(<usize>load<u32>(sets + (<usize>i << 2)));
}

/** Insertion sort of the set list by size; ascending or descending. Lists are short. */
function sortBySize(sets: usize, from: u32, n: u32, ascending: bool): void {
  for (let i = from + 1; i < n; i++) {
    const v = load<u32>(sets + (<usize>i << 2));
    const size = dictSize(changetype<Dict>(<usize>v));
    let j = i;
    while (j > from) {
      const prev = dictSize(setAt(sets, j - 1));
      if (ascending ? prev <= size : prev >= size) break;
      store<u32>(sets + (<usize>j << 2), load<u32>(sets + (<usize>(j - 1) << 2)));
      j--;
    }
    store<u32>(sets + (<usize>j << 2), v);
  }
}

/**
 * Intersection of n sets (the list at `sets` is reordered). Stops after
 * `limit` members if limit > 0. Adds the members to `dst` if non-zero, else
 * writes them unless `countOnly`. Returns the number of members found.
 */
export function set_inter(sets: usize, n: u32, limit: u32, dst: usize, countOnly: bool): u32 {
  out_reset();
  if (n == 0) return 0;
  sortBySize(sets, 0, n, true);
  const smallest = setAt(sets, 0);
  if (dictSize(smallest) == 0) return 0;
  sampleAll(smallest);
  const size = sampleLen();
  let found: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const e = sampleGet(i);
    let inAll = true;
    for (let j: u32 = 1; j < n; j++) {
      const other = setAt(sets, j);
      if (other != smallest && !hasEntry(other, e)) {
        inAll = false;
        break;
      }
    }
    if (!inAll) continue;
    found++;
    if (dst != 0) addEntry(changetype<Dict>(dst), e);
    else if (!countOnly) outMember(e);
    if (limit != 0 && found >= limit) break;
  }
  return found;
}

/** Adds every member of the n sets to `dst`; returns dst's size. */
export function set_union(sets: usize, n: u32, dst: usize): u32 {
  const d = changetype<Dict>(dst);
  for (let i: u32 = 0; i < n; i++) {
    const s = setAt(sets, i);
    if (changetype<usize>(s) == dst) continue;
    sampleAll(s);
    const size = sampleLen();
    for (let k: u32 = 0; k < size; k++) addEntry(d, sampleGet(k));
  }
  return dictSize(d);
}

/**
 * Members of the first set that are in none of the others (the list at
 * `sets` is reordered after its first element). Adds them to `dst` if
 * non-zero, else writes them. Returns their number.
 */
export function set_diff(sets: usize, n: u32, dst: usize): u32 {
  out_reset();
  if (n == 0) return 0;
  const first = setAt(sets, 0);
  const firstSize = dictSize(first);
  if (firstSize == 0) return 0;
  for (let i: u32 = 1; i < n; i++) {
    if (setAt(sets, i) == first) return 0;
  }
  // Redis's estimate of the two algorithms' work (t_set.c).
  let probeWork: u64 = <u64>firstSize * <u64>n / 2;
  let removeWork: u64 = 0;
  for (let i: u32 = 0; i < n; i++) removeWork += <u64>dictSize(setAt(sets, i));
  if (probeWork <= removeWork) {
    // Larger sets first: a member found early stops its probes early.
    sortBySize(sets, 1, n, false);
    sampleAll(first);
    const size = sampleLen();
    let found: u32 = 0;
    for (let i: u32 = 0; i < size; i++) {
      const e = sampleGet(i);
      let inOther = false;
      for (let j: u32 = 1; j < n; j++) {
        if (hasEntry(setAt(sets, j), e)) {
          inOther = true;
          break;
        }
      }
      if (inOther) continue;
      found++;
      if (dst != 0) addEntry(changetype<Dict>(dst), e);
      else outMember(e);
    }
    return found;
  }
  const result = dst != 0 ? changetype<Dict>(dst) : changetype<Dict>(set_new());
  sampleAll(first);
  let size = sampleLen();
  for (let i: u32 = 0; i < size; i++) addEntry(result, sampleGet(i));
  for (let j: u32 = 1; j < n && dictSize(result) != 0; j++) {
    sampleAll(setAt(sets, j));
    size = sampleLen();
    for (let i: u32 = 0; i < size; i++) {
      const e = sampleGet(i);
      const removed = dictUnlink(result, entryHash(e), memberPtr(e), entryKeyLen(e));
      if (removed != 0) free(removed);
    }
  }
  const count = dictSize(result);
  if (dst == 0) {
    set_members(changetype<usize>(result));
    set_free(changetype<usize>(result));
  }
  return count;
}
