// Random choice of entries from a Dict, shared by the hash and the set.
//
// No mutable state outside linear memory (core-wasm/state.ts): the chosen
// entries are state.sampleBuf/sampleCap/sampleCount. A snapshot is a copy of
// memory, so nothing may live in a Wasm global.
//
// Redis's rules for "count" in SRANDMEMBER, HRANDFIELD and SPOP:
//   - with repetition (a negative count): `count` independent draws;
//   - without repetition, count >= size: every entry once;
//   - without repetition, count a large share of size (3 * count > size):
//     collect all entries and take a partial Fisher-Yates shuffle, O(size);
//   - otherwise draw random entries and skip repeats, O(count), remembering
//     the entries already taken in a small open-addressing table of pointers.
//
// The chosen entry pointers are left in a reusable buffer (sampleGet), valid
// until the next sampling or the next change of the dict. Sampling moves no
// entry in memory, so callers may unlink the chosen entries one by one.

import { alloc, allocZeroed, free } from "./mem";
import { Dict, dictSize, dictRandomEntry, dictFreeTables, entryNext } from "./dict";
import { randomBelow } from "./hashing";
import { state } from "./state";

// The chosen entries: state.sampleBuf (u32[state.sampleCap]), state.sampleCount used.
state.sampleBuf = alloc(256 * 4);
state.sampleCap = 256;

function push(e: usize): void {
  if (state.sampleCount == state.sampleCap) {
    const cap = state.sampleCap << 1;
    const bigger = alloc(<usize>cap << 2);
    memory.copy(bigger, state.sampleBuf, <usize>state.sampleCap << 2);
    free(state.sampleBuf);
    state.sampleBuf = bigger;
    state.sampleCap = cap;
  }
  store<u32>(state.sampleBuf + (<usize>state.sampleCount << 2), <u32>e);
  state.sampleCount++;
}

export function sampleLen(): u32 {
  return state.sampleCount;
}

export function sampleGet(i: u32): usize {
  return <usize>load<u32>(state.sampleBuf + (<usize>i << 2));
}

function sampleSwap(i: u32, j: u32): void {
  const a = state.sampleBuf + (<usize>i << 2);
  const b = state.sampleBuf + (<usize>j << 2);
  const t = load<u32>(a);
  store<u32>(a, load<u32>(b));
  store<u32>(b, t);
}

/**
 * Fills the sample buffer with every entry of the dict. It walks the tables
 * itself rather than using dict.ts's entry vector, because the keyspace may
 * be iterating that vector when it frees a value.
 */
export function sampleAll(d: Dict): void {
  state.sampleCount = 0;
  pushTable(d.table0, d.size0);
  pushTable(d.table1, d.size1);
}

function pushTable(table: usize, size: u32): void {
  for (let i: u32 = 0; i < size; i++) {
    let e = <usize>load<u32>(table + (<usize>i << 2));
    while (e != 0) {
      push(e);
      e = entryNext(e);
    }
  }
}

/**
 * Frees every entry of the dict and then its tables. Uses no shared buffer,
 * so it is safe inside any iteration (the keyspace frees values while it
 * walks a database in FLUSHDB).
 */
export function freeDictAndEntries(d: Dict): void {
  freeTableEntries(d.table0, d.size0);
  freeTableEntries(d.table1, d.size1);
  dictFreeTables(d);
}

function freeTableEntries(table: usize, size: u32): void {
  for (let i: u32 = 0; i < size; i++) {
    let e = <usize>load<u32>(table + (<usize>i << 2));
    while (e != 0) {
      const next = entryNext(e);
      free(e);
      e = next;
    }
  }
}

/** Fills the sample buffer with `count` entries chosen under Redis's rules (see above). */
export function sampleEntries(d: Dict, count: u32, unique: bool): void {
  state.sampleCount = 0;
  const size = dictSize(d);
  if (size == 0 || count == 0) return;
  if (!unique) {
    for (let i: u32 = 0; i < count; i++) push(dictRandomEntry(d));
    return;
  }
  if (count >= size) {
    sampleAll(d);
    return;
  }
  if (<u64>count * 3 > <u64>size) {
    sampleAll(d);
    for (let i: u32 = 0; i < count; i++) sampleSwap(i, i + randomBelow(size - i));
    state.sampleCount = count;
    return;
  }
  // Few entries of many: draw and skip repeats. The table has at least twice
  // as many slots as entries it will hold, so probes stay short.
  let slots: u32 = 16;
  while (slots < count * 2) slots <<= 1;
  const table = allocZeroed(<usize>slots << 2);
  const mask = slots - 1;
  while (state.sampleCount < count) {
    const e = dictRandomEntry(d);
    let i = (<u32>(e >> 4) * 0x9e3779b1) & mask;
    let seen = false;
    for (;;) {
      const at = table + (<usize>i << 2);
      const v = <usize>load<u32>(at);
      if (v == 0) {
        store<u32>(at, <u32>e);
        break;
      }
      if (v == e) {
        seen = true;
        break;
      }
      i = (i + 1) & mask;
    }
    if (!seen) push(e);
  }
  free(table);
}
