// The list value type: a deque of chunks of packed elements (a "quicklist").
//
// No mutable state outside linear memory (core-wasm/state.ts): the last entry
// header size and located position are
// state.entryHeaderBytes/locChunk/locOffset; the offsets scratch is static
// memory. A snapshot is a copy of memory, so nothing may live in a Wasm global.
//
// A list is a small header, a ring of chunk pointers, and the chunks:
//
//   List (20 bytes)              ring (u32 x slotCap, power of two)
//   +--------------------+       +----+----+----+----+
//   | slots      -------------> |    | c0 | c1 | c2 |   logical chunk i is at
//   | slotCap, slotHead  |       +----+----+----+----+   (slotHead + i) & (slotCap - 1)
//   | chunkCount, length |
//   +--------------------+
//
//   chunk: [ count u32 ][ used u32 ][ cap u32 ][ payload: cap bytes ]
//   payload: entries back to back, each [ length, LEB128 varint ][ bytes ]
//
// Why chunks of packed bytes rather than a ring of pointers to one block per
// element: memory. A block per element costs its TLSF header and 16-byte
// rounding plus a pointer, about 36 bytes for a 10-byte element; packed, the
// same element costs 11 bytes (a 1-byte length and the bytes) plus its share
// of the chunk header, the ring slot and the free tail of the chunk, which is
// what Redis's listpack nodes cost too. For n elements of s bytes:
//
//   bytes ~= 20 + 4 * chunks + 16 * chunks + n * (s + varint(s)) + slack
//
// where chunks ~= n / min(256, 4096 / (s + 1)) and slack is the unused capacity
// of chunks (chunk capacity doubles up to 4 KiB, is cut to what is used when a
// chunk reaches 256 entries, and shrinks when a chunk is under a quarter full).
// Measured (RPUSH of 200,000 equal elements): 2.1 bytes per 1-byte element,
// 11 per 10-byte, 52 per 50-byte, 515 per 500-byte; redis-server 7.0 uses 3,
// 12, 52 and 515 (used_memory).
//
// Costs. Push and pop at either end touch one end chunk: O(1), with a memmove
// of at most one chunk (4 KiB) when the front chunk's bytes shift; a new chunk
// at the front takes a ring slot in O(1) by moving slotHead back. Index access
// walks chunk counts from the nearer end (n / 256 steps at most) and then
// entries inside one chunk (256 at most); that is Redis's quicklist bound too.
// Inserting in the middle splits a full chunk in two; deleting merges a chunk
// with a neighbour when the two fit in one, so chunks do not fragment.
//
// Invariants, checked by list_check:
//   - every chunk holds 1..CHUNK_ENTRIES_MAX entries and count/used match its
//     payload; used <= cap;
//   - a chunk has more than CHUNK_BYTES_MAX payload bytes only when it holds a
//     single element that is itself that large;
//   - length is the sum of the chunk counts; an empty list has no chunks and
//     no ring.
// Elements are byte strings of any length (a zero-length element is the
// one-byte entry [0]). Nothing here creates a JavaScript-visible object per
// element: ranges are written to the output buffer (out_bytes) for the host.

import { alloc, free, realloc, blockBytes, bytesEqual } from "./mem";
import { out_reset, out_bytes, out_u32, io_out_ptr } from "./io";
import { state } from "./state";

// Encoding tag (OBJECT ENCODING "quicklist", which Redis 7.0 reports for all lists).
// @ts-ignore: decorator
@inline export const ENC_LIST_QUICKLIST: u32 = 0;

// @ts-ignore: decorator
@inline const WHERE_HEAD: u32 = 0;

// @ts-ignore: decorator
@inline const C_COUNT: usize = 0;
// @ts-ignore: decorator
@inline const C_USED: usize = 4;
// @ts-ignore: decorator
@inline const C_CAP: usize = 8;
// @ts-ignore: decorator
@inline const CHUNK_HEADER_BYTES: usize = 12;
// A chunk's payload stays under this many bytes (unless it holds one larger
// element): the most a push at the front or a delete ever moves.
// @ts-ignore: decorator
@inline const CHUNK_BYTES_MAX: u32 = 4096;
// ...and under this many entries: the most an index lookup scans in a chunk.
// @ts-ignore: decorator
@inline const CHUNK_ENTRIES_MAX: u32 = 256;
// @ts-ignore: decorator
@inline const CHUNK_CAP_MIN: u32 = 16;
// @ts-ignore: decorator
@inline const RING_CAP_SHRINK_MIN: u32 = 16;

@unmanaged
class List {
  slots: usize;
  slotCap: u32;
  slotHead: u32;
  chunkCount: u32;
  length: u32;
}

// Entry offsets of one chunk, for walking it backwards (RPOP count, LPOS with
// a negative rank, LREM from the tail).
const offsets: usize = memory.data(<i32>(CHUNK_ENTRIES_MAX << 2), 16);

// ---- entries ---------------------------------------------------------------

function varintSize(v: u32): u32 {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function varintWrite(p: usize, v: u32): u32 {
  let n: u32 = 0;
  while (v >= 0x80) {
    store<u8>(p + n, <u8>((v & 0x7f) | 0x80));
    v >>= 7;
    n++;
  }
  store<u8>(p + n, <u8>v);
  return n + 1;
}

// The header size of the entry readEntry last read is state.entryHeaderBytes.

/** The byte length of the element whose entry starts at p (sets entryHeaderBytes). */
function readEntry(p: usize): u32 {
  let v: u32 = 0;
  let shift: u32 = 0;
  let i: u32 = 0;
  for (;;) {
    const b = <u32>load<u8>(p + i);
    i++;
    v |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  state.entryHeaderBytes = i;
  return v;
}

function entrySize(p: usize): u32 {
  const len = readEntry(p);
  return state.entryHeaderBytes + len;
}

/** Whether the entry at p holds exactly the bytes (ptr, len). */
function entryEquals(p: usize, ptr: usize, len: u32): bool {
  const n = readEntry(p);
  return n == len && bytesEqual(p + state.entryHeaderBytes, ptr, len);
}

function outEntry(p: usize): u32 {
  const len = readEntry(p);
  out_bytes(p + state.entryHeaderBytes, len);
  return state.entryHeaderBytes + len;
}

// ---- chunks ----------------------------------------------------------------

function cCount(c: usize): u32 { return load<u32>(c + C_COUNT); }
function cUsed(c: usize): u32 { return load<u32>(c + C_USED); }
function cCap(c: usize): u32 { return load<u32>(c + C_CAP); }
function payload(c: usize): usize { return c + CHUNK_HEADER_BYTES; }

function capFor(need: u32): u32 {
  if (need > CHUNK_BYTES_MAX) return need;
  let cap = CHUNK_CAP_MIN;
  while (cap < need) cap <<= 1;
  return cap;
}

function chunkNew(cap: u32): usize {
  const c = alloc(CHUNK_HEADER_BYTES + <usize>cap);
  store<u32>(c + C_COUNT, 0);
  store<u32>(c + C_USED, 0);
  store<u32>(c + C_CAP, cap);
  return c;
}

function hasRoom(c: usize, size: u32): bool {
  return cCount(c) < CHUNK_ENTRIES_MAX && cUsed(c) + size <= CHUNK_BYTES_MAX;
}

/** Counts entries in the chunk and records their offsets; returns the count. */
function loadOffsets(c: usize): u32 {
  const p = payload(c);
  const used = cUsed(c);
  let off: u32 = 0;
  let k: u32 = 0;
  while (off < used) {
    store<u32>(offsets + (<usize>k << 2), off);
    off += entrySize(p + off);
    k++;
  }
  return k;
}

// ---- the ring of chunks -----------------------------------------------------

function slotAddr(l: List, i: u32): usize {
  return l.slots + (<usize>((l.slotHead + i) & (l.slotCap - 1)) << 2);
}

function chunkAt(l: List, i: u32): usize {
  return <usize>load<u32>(slotAddr(l, i));
}

function setChunkAt(l: List, i: u32, c: usize): void {
  store<u32>(slotAddr(l, i), <u32>c);
}

/** Re-lays the ring out in logical order with capacity `cap`. */
function ringResize(l: List, cap: u32): void {
  const slots = alloc(<usize>cap << 2);
  for (let i: u32 = 0; i < l.chunkCount; i++) store<u32>(slots + (<usize>i << 2), <u32>chunkAt(l, i));
  if (l.slots != 0) free(l.slots);
  l.slots = slots;
  l.slotCap = cap;
  l.slotHead = 0;
}

/** Puts chunk c at logical position i, moving later chunks one place on. */
function slotInsert(l: List, i: u32, c: usize): void {
  if (l.chunkCount == l.slotCap) ringResize(l, l.slotCap == 0 ? 1 : l.slotCap << 1);
  l.chunkCount++;
  if (i == 0) {
    l.slotHead = (l.slotHead - 1) & (l.slotCap - 1);
  } else {
    for (let j = l.chunkCount - 1; j > i; j--) setChunkAt(l, j, chunkAt(l, j - 1));
  }
  setChunkAt(l, i, c);
}

/** Removes logical slot i (the chunk itself is freed by the caller). */
function slotRemove(l: List, i: u32): void {
  if (i == 0) {
    l.slotHead = (l.slotHead + 1) & (l.slotCap - 1);
  } else {
    for (let j = i; j + 1 < l.chunkCount; j++) setChunkAt(l, j, chunkAt(l, j + 1));
  }
  l.chunkCount--;
  if (l.chunkCount == 0) {
    free(l.slots);
    l.slots = 0;
    l.slotCap = 0;
    l.slotHead = 0;
  } else if (l.slotCap >= RING_CAP_SHRINK_MIN && l.chunkCount * 4 <= l.slotCap) {
    ringResize(l, l.slotCap >> 1);
  }
}

/** Makes room for `extra` more payload bytes in chunk i; returns the chunk (it may move). */
function chunkReserve(l: List, i: u32, extra: u32): usize {
  let c = chunkAt(l, i);
  const need = cUsed(c) + extra;
  if (need <= cCap(c)) return c;
  let cap = cCap(c);
  if (need > CHUNK_BYTES_MAX) {
    cap = need;
  } else {
    while (cap < need) cap <<= 1;
    if (cap > CHUNK_BYTES_MAX) cap = CHUNK_BYTES_MAX;
  }
  c = realloc(c, CHUNK_HEADER_BYTES + <usize>cap);
  store<u32>(c + C_CAP, cap);
  setChunkAt(l, i, c);
  return c;
}

/** Gives back capacity of chunk i when it is under a quarter full. */
function chunkShrink(l: List, i: u32): void {
  let c = chunkAt(l, i);
  const cap = cCap(c);
  const used = cUsed(c);
  if (cap <= CHUNK_CAP_MIN || used * 4 > cap) return;
  const newCap = capFor(used * 2);
  if (newCap >= cap) return;
  c = realloc(c, CHUNK_HEADER_BYTES + <usize>newCap);
  store<u32>(c + C_CAP, newCap);
  setChunkAt(l, i, c);
}

/** Writes an entry at payload offset `off` of chunk i, which has room. */
function chunkInsert(l: List, i: u32, off: u32, ptr: usize, len: u32, size: u32): void {
  const c = chunkReserve(l, i, size);
  const at = payload(c) + off;
  memory.copy(at + size, at, cUsed(c) - off);
  const h = varintWrite(at, len);
  memory.copy(at + h, ptr, len);
  store<u32>(c + C_COUNT, cCount(c) + 1);
  store<u32>(c + C_USED, cUsed(c) + size);
  // A chunk full by count takes no more entries: give back its free tail.
  if (cCount(c) == CHUNK_ENTRIES_MAX && cCap(c) > cUsed(c)) chunkTrim(l, i);
}

/** Sets chunk i's capacity to exactly what it uses. */
function chunkTrim(l: List, i: u32): void {
  let c = chunkAt(l, i);
  const used = cUsed(c);
  c = realloc(c, CHUNK_HEADER_BYTES + <usize>used);
  store<u32>(c + C_CAP, used);
  setChunkAt(l, i, c);
}

/** A new chunk holding only this element, at logical position i. */
function chunkInsertNew(l: List, i: u32, ptr: usize, len: u32, size: u32): void {
  const c = chunkNew(capFor(size));
  const h = varintWrite(payload(c), len);
  memory.copy(payload(c) + h, ptr, len);
  store<u32>(c + C_COUNT, 1);
  store<u32>(c + C_USED, size);
  slotInsert(l, i, c);
}

/** Splits chunk i at payload offset `off` (an entry boundary, not 0 or the end). */
function chunkSplit(l: List, i: u32, off: u32): void {
  const c = chunkAt(l, i);
  const p = payload(c);
  let head: u32 = 0;
  for (let q: u32 = 0; q < off; q += entrySize(p + q)) head++;
  const tailBytes = cUsed(c) - off;
  const t = chunkNew(capFor(tailBytes));
  memory.copy(payload(t), p + off, tailBytes);
  store<u32>(t + C_COUNT, cCount(c) - head);
  store<u32>(t + C_USED, tailBytes);
  store<u32>(c + C_COUNT, head);
  store<u32>(c + C_USED, off);
  slotInsert(l, i + 1, t);
}

/** Appends chunk i+1 to chunk i when both fit in one chunk; returns whether it did. */
function chunkMergeNext(l: List, i: u32): bool {
  if (i + 1 >= l.chunkCount) return false;
  const b = chunkAt(l, i + 1);
  const a0 = chunkAt(l, i);
  if (cCount(a0) + cCount(b) > CHUNK_ENTRIES_MAX || cUsed(a0) + cUsed(b) > CHUNK_BYTES_MAX) return false;
  const a = chunkReserve(l, i, cUsed(b));
  memory.copy(payload(a) + cUsed(a), payload(b), cUsed(b));
  store<u32>(a + C_COUNT, cCount(a) + cCount(b));
  store<u32>(a + C_USED, cUsed(a) + cUsed(b));
  free(b);
  slotRemove(l, i + 1);
  return true;
}

/** Frees empty chunks and merges neighbours that fit together, over the whole list. */
function compactAll(l: List): void {
  let i: u32 = 0;
  while (i < l.chunkCount) {
    const c = chunkAt(l, i);
    if (cCount(c) == 0) {
      free(c);
      slotRemove(l, i);
      continue;
    }
    if (i > 0 && chunkMergeNext(l, i - 1)) continue;
    chunkShrink(l, i);
    i++;
  }
  if (l.chunkCount > 0) chunkShrink(l, l.chunkCount - 1);
}

// ---- positions -------------------------------------------------------------

// Where locate() found an index: logical chunk and payload offset
// (state.locChunk, state.locOffset).

/** Finds element `index` (< length), walking chunk counts from the nearer end. */
function locate(l: List, index: u32): void {
  let i: u32;
  let before: u32;
  if (index < (l.length >> 1)) {
    i = 0;
    before = 0;
    for (;;) {
      const n = cCount(chunkAt(l, i));
      if (before + n > index) break;
      before += n;
      i++;
    }
  } else {
    i = l.chunkCount - 1;
    before = l.length - cCount(chunkAt(l, i));
    while (before > index) {
      i--;
      before -= cCount(chunkAt(l, i));
    }
  }
  const p = payload(chunkAt(l, i));
  let off: u32 = 0;
  for (let k = index - before; k > 0; k--) off += entrySize(p + off);
  state.locChunk = i;
  state.locOffset = off;
}

/**
 * Inserts an element at payload offset `off` of chunk i (0 <= off <= used;
 * off == used appends to the chunk). With no chunks, starts the first one.
 */
function insertAt(l: List, i: u32, off: u32, ptr: usize, len: u32): void {
  const size = varintSize(len) + len;
  l.length++;
  if (l.chunkCount == 0) {
    chunkInsertNew(l, 0, ptr, len, size);
    return;
  }
  const c = chunkAt(l, i);
  if (hasRoom(c, size)) {
    chunkInsert(l, i, off, ptr, len, size);
    return;
  }
  if (off == 0) {
    if (i > 0 && hasRoom(chunkAt(l, i - 1), size)) chunkInsert(l, i - 1, cUsed(chunkAt(l, i - 1)), ptr, len, size);
    else chunkInsertNew(l, i, ptr, len, size);
    return;
  }
  if (off == cUsed(c)) {
    if (i + 1 < l.chunkCount && hasRoom(chunkAt(l, i + 1), size)) chunkInsert(l, i + 1, 0, ptr, len, size);
    else chunkInsertNew(l, i + 1, ptr, len, size);
    return;
  }
  chunkSplit(l, i, off);
  if (hasRoom(chunkAt(l, i), size)) chunkInsert(l, i, off, ptr, len, size);
  else if (hasRoom(chunkAt(l, i + 1), size)) chunkInsert(l, i + 1, 0, ptr, len, size);
  else chunkInsertNew(l, i + 1, ptr, len, size);
}

/** Removes elements [start, start + n) (all in range). */
function deleteRange(l: List, start: u32, n: u32): void {
  if (n == 0) return;
  locate(l, start);
  const first = state.locChunk;
  let i = state.locChunk;
  let off = state.locOffset;
  let left = n;
  l.length -= n;
  while (left > 0) {
    const c = chunkAt(l, i);
    const count = cCount(c);
    if (off == 0 && count <= left) {
      free(c);
      slotRemove(l, i);
      left -= count;
      continue;
    }
    const p = payload(c);
    const used = cUsed(c);
    let end = off;
    let k: u32 = 0;
    while (end < used && k < left) {
      end += entrySize(p + end);
      k++;
    }
    memory.copy(p + off, p + end, used - end);
    store<u32>(c + C_USED, used - (end - off));
    store<u32>(c + C_COUNT, count - k);
    left -= k;
    chunkShrink(l, i);
    i++;
    off = 0;
  }
  // The chunks at the cut may now fit together.
  if (first < l.chunkCount) chunkMergeNext(l, first);
  if (first > 0) chunkMergeNext(l, first - 1);
}

/** Writes elements [start, start + n) to the output, head to tail. */
function outForward(l: List, start: u32, n: u32): void {
  if (n == 0) return;
  locate(l, start);
  let i = state.locChunk;
  let off = state.locOffset;
  let left = n;
  while (left > 0) {
    const c = chunkAt(l, i);
    const p = payload(c);
    const used = cUsed(c);
    while (off < used && left > 0) {
      off += outEntry(p + off);
      left--;
    }
    i++;
    off = 0;
  }
}

/** Appends the element count and every element, head first, to the output (snapshot_dump). */
export function listDumpInto(obj: usize): void {
  const l = changetype<List>(obj);
  out_u32(l.length);
  outForward(l, 0, l.length);
}

/** Writes the last n elements to the output, tail first. */
function outBackward(l: List, n: u32): void {
  let left = n;
  let i = l.chunkCount;
  while (left > 0) {
    i--;
    const c = chunkAt(l, i);
    let k = loadOffsets(c);
    while (k > 0 && left > 0) {
      k--;
      outEntry(payload(c) + load<u32>(offsets + (<usize>k << 2)));
      left--;
    }
  }
}

// ---- exports -------------------------------------------------------------

export function list_new(): usize {
  const l = changetype<List>(alloc(offsetof<List>()));
  l.slots = 0;
  l.slotCap = 0;
  l.slotHead = 0;
  l.chunkCount = 0;
  l.length = 0;
  return changetype<usize>(l);
}

export function list_len(obj: usize): u32 {
  return changetype<List>(obj).length;
}

/** Pushes one element at the head (where 0) or tail (1); returns the new length. */
export function list_push(obj: usize, where: u32, ptr: usize, len: u32): u32 {
  const l = changetype<List>(obj);
  if (where == WHERE_HEAD || l.chunkCount == 0) {
    insertAt(l, 0, 0, ptr, len);
  } else {
    const last = l.chunkCount - 1;
    insertAt(l, last, cUsed(chunkAt(l, last)), ptr, len);
  }
  return l.length;
}

/**
 * Pops up to n elements from the head (where 0) or tail (1), writing them
 * to the output in the order they come off. Returns how many it popped.
 */
export function list_pop(obj: usize, where: u32, n: u32): u32 {
  const l = changetype<List>(obj);
  out_reset();
  if (n > l.length) n = l.length;
  if (n == 1) {
    out_bytes(listEndElement(obj, where), state.listElementLength);
    listDropEndElement(obj, where);
    return 1;
  }
  if (where == WHERE_HEAD) {
    outForward(l, 0, n);
    deleteRange(l, 0, n);
  } else {
    outBackward(l, n);
    deleteRange(l, l.length - n, n);
  }
  return n;
}

/**
 * The bytes of the element at the head (where 0) or tail (1) of a non-empty
 * list, in place; their length is state.listElementLength. Pop it with
 * listDropEndElement before anything else changes the list (the batched
 * executor, exec.ts, writes its reply straight from here, then drops it).
 */
export function listEndElement(obj: usize, where: u32): usize {
  const l = changetype<List>(obj);
  let p: usize;
  if (where == WHERE_HEAD) {
    state.locChunk = 0;
    state.locOffset = 0;
    p = payload(chunkAt(l, 0));
  } else {
    // Entries are read forwards only: one pass over the tail chunk finds the last.
    const i = l.chunkCount - 1;
    const c = chunkAt(l, i);
    const k = loadOffsets(c);
    state.locChunk = i;
    state.locOffset = load<u32>(offsets + (<usize>(k - 1) << 2));
    p = payload(c) + <usize>state.locOffset;
  }
  state.listElementLength = readEntry(p);
  return p + state.entryHeaderBytes;
}

/** Removes the element listEndElement just found, as deleteRange would, without finding it again. */
export function listDropEndElement(obj: usize, where: u32): void {
  const l = changetype<List>(obj);
  const i = state.locChunk;
  const c = chunkAt(l, i);
  if (where == WHERE_HEAD || cCount(c) == 1) {
    deleteRange(l, where == WHERE_HEAD ? 0 : l.length - 1, 1);
    return;
  }
  // The tail entry of a chunk with others: cut it off the end of the payload.
  store<u32>(c + C_COUNT, cCount(c) - 1);
  store<u32>(c + C_USED, state.locOffset);
  l.length--;
  chunkShrink(l, i);
  if (i > 0) chunkMergeNext(l, i - 1);
}

/**
 * Pops one element from `src` (at `from`) and pushes it onto `dst` (at `to`);
 * src and dst may be the same list. The element is also left in the output.
 * Returns 0 if src was empty.
 */
export function list_move(src: usize, from: u32, dst: usize, to: u32): u32 {
  if (list_pop(src, from, 1) == 0) return 0;
  // The output buffer does not move while we push: pushes never write it.
  const at = io_out_ptr();
  list_push(dst, to, at + 4, load<u32>(at));
  return 1;
}

/** Writes elements [start, start + n) to the output (the caller clamps to the length). */
export function list_range(obj: usize, start: u32, n: u32): u32 {
  out_reset();
  outForward(changetype<List>(obj), start, n);
  return n;
}

/** Replaces element `index` (< length). */
export function list_set(obj: usize, index: u32, ptr: usize, len: u32): void {
  const l = changetype<List>(obj);
  locate(l, index);
  const i = state.locChunk;
  const off = state.locOffset;
  let c = chunkAt(l, i);
  const oldSize = entrySize(payload(c) + off);
  const newSize = varintSize(len) + len;
  if (cCount(c) == 1 || cUsed(c) - oldSize + newSize <= CHUNK_BYTES_MAX) {
    if (newSize > oldSize) c = chunkReserve(l, i, newSize - oldSize);
    const at = payload(c) + off;
    memory.copy(at + newSize, at + oldSize, cUsed(c) - off - oldSize);
    const h = varintWrite(at, len);
    memory.copy(at + h, ptr, len);
    store<u32>(c + C_USED, cUsed(c) - oldSize + newSize);
    if (newSize < oldSize) chunkShrink(l, i);
    return;
  }
  // The new element does not fit beside the others: take the old one out and
  // insert the new one at its place, which splits the chunk.
  const at = payload(c) + off;
  memory.copy(at, at + oldSize, cUsed(c) - off - oldSize);
  store<u32>(c + C_USED, cUsed(c) - oldSize);
  store<u32>(c + C_COUNT, cCount(c) - 1);
  l.length--;
  insertAt(l, i, off, ptr, len);
}

/**
 * Inserts (ptr, len) before (after 0) or after (after 1) the first element
 * equal to the pivot. Returns the new length, or -1 if there is no pivot.
 */
export function list_insert(obj: usize, pivotPtr: usize, pivotLen: u32, ptr: usize, len: u32, after: u32): i32 {
  const l = changetype<List>(obj);
  for (let i: u32 = 0; i < l.chunkCount; i++) {
    const c = chunkAt(l, i);
    const p = payload(c);
    const used = cUsed(c);
    let off: u32 = 0;
    while (off < used) {
      const size = entrySize(p + off);
      if (entryEquals(p + off, pivotPtr, pivotLen)) {
        insertAt(l, i, after != 0 ? off + size : off, ptr, len);
        return <i32>l.length;
      }
      off += size;
    }
  }
  return -1;
}

/**
 * LREM: removes elements equal to (ptr, len): the first `limit` from the
 * head, or with fromTail the last `limit`; limit 0 removes all. Returns how
 * many it removed.
 */
export function list_remove(obj: usize, ptr: usize, len: u32, limit: u32, fromTail: u32): u32 {
  const l = changetype<List>(obj);
  // Removing the last k matches is keeping the first (total - k): one pass
  // to count, one to filter, both head to tail.
  let keep: u32 = 0;
  if (fromTail != 0 && limit != 0) {
    let total: u32 = 0;
    for (let i: u32 = 0; i < l.chunkCount; i++) {
      const c = chunkAt(l, i);
      const p = payload(c);
      const used = cUsed(c);
      for (let off: u32 = 0; off < used; off += entrySize(p + off)) {
        if (entryEquals(p + off, ptr, len)) total++;
      }
    }
    if (total > limit) keep = total - limit;
    limit = 0;
  }
  let removed: u32 = 0;
  for (let i: u32 = 0; i < l.chunkCount; i++) {
    if (limit != 0 && removed >= limit) break;
    const c = chunkAt(l, i);
    const p = payload(c);
    const used = cUsed(c);
    let read: u32 = 0;
    let write: u32 = 0;
    let count: u32 = 0;
    while (read < used) {
      const size = entrySize(p + read);
      let drop = false;
      if ((limit == 0 || removed < limit) && entryEquals(p + read, ptr, len)) {
        if (keep > 0) keep--;
        else drop = true;
      }
      if (drop) {
        removed++;
      } else {
        if (write != read) memory.copy(p + write, p + read, size);
        write += size;
        count++;
      }
      read += size;
    }
    store<u32>(c + C_USED, write);
    store<u32>(c + C_COUNT, count);
  }
  if (removed > 0) {
    l.length -= removed;
    compactAll(l);
  }
  return removed;
}

/** Removes elements [start, start + n) (LTRIM cuts both ends with two calls). */
export function list_delete_range(obj: usize, start: u32, n: u32): void {
  deleteRange(changetype<List>(obj), start, n);
}

/**
 * LPOS: the indexes of elements equal to (ptr, len), skipping the first
 * rank-1 matches, at most `count` of them (0: all), looking at no more than
 * `maxlen` elements (0: all), from the tail when `reverse`. Writes the
 * indexes (counted from the head) to the output as u32; returns how many.
 */
export function list_pos(obj: usize, ptr: usize, len: u32, rank: u32, count: u32, maxlen: u32, reverse: u32): u32 {
  const l = changetype<List>(obj);
  out_reset();
  const limit = maxlen == 0 || maxlen > l.length ? l.length : maxlen;
  let seen: u32 = 0;
  let matches: u32 = 0;
  let found: u32 = 0;
  if (reverse == 0) {
    for (let i: u32 = 0; i < l.chunkCount && seen < limit; i++) {
      const c = chunkAt(l, i);
      const p = payload(c);
      const used = cUsed(c);
      for (let off: u32 = 0; off < used && seen < limit; off += entrySize(p + off)) {
        if (entryEquals(p + off, ptr, len) && ++matches >= rank) {
          out_u32(seen);
          if (++found == count) return found;
        }
        seen++;
      }
    }
  } else {
    for (let i = l.chunkCount; i > 0 && seen < limit;) {
      i--;
      const c = chunkAt(l, i);
      let k = loadOffsets(c);
      while (k > 0 && seen < limit) {
        k--;
        if (entryEquals(payload(c) + load<u32>(offsets + (<usize>k << 2)), ptr, len) && ++matches >= rank) {
          out_u32(l.length - 1 - seen);
          if (++found == count) return found;
        }
        seen++;
      }
    }
  }
  return found;
}

/** Bytes of memory the list holds (header, ring, chunks), for MEMORY USAGE. */
export function list_bytes(obj: usize): u32 {
  const l = changetype<List>(obj);
  let total = <u32>blockBytes(obj);
  if (l.slots != 0) total += <u32>blockBytes(l.slots);
  for (let i: u32 = 0; i < l.chunkCount; i++) total += <u32>blockBytes(chunkAt(l, i));
  return total;
}

/** Checks the invariants in the essay; returns 0 when they hold, else which failed. */
export function list_check(obj: usize): u32 {
  const l = changetype<List>(obj);
  if (l.chunkCount == 0) return l.length == 0 && l.slots == 0 ? 0 : 1;
  if (l.chunkCount > l.slotCap) return 2;
  let total: u32 = 0;
  for (let i: u32 = 0; i < l.chunkCount; i++) {
    const c = chunkAt(l, i);
    const used = cUsed(c);
    const count = cCount(c);
    if (count == 0 || count > CHUNK_ENTRIES_MAX) return 3;
    if (used > cCap(c)) return 4;
    if (used > CHUNK_BYTES_MAX && count != 1) return 5;
    let off: u32 = 0;
    let k: u32 = 0;
    while (off < used) {
      off += entrySize(payload(c) + off);
      k++;
    }
    if (off != used || k != count) return 6;
    total += count;
  }
  return total == l.length ? 0 : 7;
}

// ---- value operations (values.ts) ------------------------------------------

export function listFree(obj: usize): void {
  const l = changetype<List>(obj);
  for (let i: u32 = 0; i < l.chunkCount; i++) free(chunkAt(l, i));
  if (l.slots != 0) free(l.slots);
  free(obj);
}

export function listCopy(obj: usize): usize {
  const l = changetype<List>(obj);
  const copy = changetype<List>(list_new());
  if (l.chunkCount == 0) return changetype<usize>(copy);
  let cap: u32 = 1;
  while (cap < l.chunkCount) cap <<= 1;
  copy.slots = alloc(<usize>cap << 2);
  copy.slotCap = cap;
  copy.chunkCount = l.chunkCount;
  copy.length = l.length;
  for (let i: u32 = 0; i < l.chunkCount; i++) {
    const c = chunkAt(l, i);
    const d = chunkNew(capFor(cUsed(c)));
    memory.copy(payload(d), payload(c), cUsed(c));
    store<u32>(d + C_COUNT, cCount(c));
    store<u32>(d + C_USED, cUsed(c));
    store<u32>(copy.slots + (<usize>i << 2), <u32>d);
  }
  return changetype<usize>(copy);
}
