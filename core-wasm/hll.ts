// HyperLogLog, stored in Redis's own byte format inside a string value.
//
// No mutable state outside linear memory (core-wasm/state.ts): the sparse size
// limit, the last register index and the work buffers are fields of the state
// block. A snapshot is a copy of memory, so nothing may live in a Wasm global.
//
// An HLL is an ordinary string key (TYPE_STRING), so GET returns its bytes
// and SET can bring them back; those bytes are exactly what Redis 7.0 keeps,
// so a value copied between Redis and Trireme works on both sides.
//
//   0      4   5        8                16
//   +------+---+--------+----------------+----------------------------+
//   | HYLL | E | unused | cardinality    | registers                  |
//   +------+---+--------+----------------+----------------------------+
//
// E is 0 (dense) or 1 (sparse). The cardinality is a cache, a u64 little
// endian whose most significant bit set means "stale": PFADD and PFMERGE set
// that bit, PFCOUNT of one key recomputes and stores the count.
//
// There are 16384 registers (the low 14 bits of a 64-bit MurmurHash64A of the
// element pick one), each holding the length of the run of zero bits, plus
// one, in the remaining 50 bits of the hash: at most 51.
//
// Dense: 16384 registers of 6 bits packed from the least significant bit of
// each byte upwards, 12288 bytes; register i is bits 6i..6i+5 of the array.
//
// Sparse: a run-length code of three opcodes covering all 16384 registers in
// order:
//   ZERO   00xxxxxx            1..64 registers set to 0 (xxxxxx + 1)
//   XZERO  01xxxxxx yyyyyyyy   1..16384 registers set to 0 (14 bits + 1)
//   VAL    1vvvvvxx            1..4 registers (xx + 1) set to 1..32 (vvvvv + 1)
// An empty HLL is the one opcode XZERO:16384. A sparse HLL becomes dense when
// a register needs a value above 32 or the string would grow beyond
// hll-sparse-max-bytes (3000); it never goes back.
//
// To give the same bytes as Redis, every edit follows Redis's algorithm step
// by step: where an opcode is split, how adjacent VAL opcodes are merged
// afterwards (only within five opcodes of the edit), and when the encoding
// is promoted. Corrupted sparse data (opcodes that do not add up to 16384
// registers) is detected exactly where Redis detects it.
//
// Sparse edits run in a work buffer (the value is copied in, edited, and
// copied back once per command, resizing the keyspace entry once); dense
// values are updated in place in the entry.
//
// The count is the estimator Redis 7.0 uses: Otmar Ertl's improved raw
// estimator over the histogram of register values ("New cardinality
// estimation algorithms for HyperLogLog sketches", arXiv:1702.01284).

import { alloc, realloc } from "./mem";
import { ctlSetI32, out_reserve, out_reset } from "./io";
import { entryStringPtr, entryStringLength, ks_string_resize, ks_entry_set_encoding, setStringRaw } from "./keyspace";
import { ENC_RAW } from "./types";
import { state } from "./state";

// @ts-ignore: decorator
@inline const HLL_P: u32 = 14;
// @ts-ignore: decorator
@inline const HLL_Q: u32 = 50; // 64 - HLL_P: hash bits that feed the zero-run count
// @ts-ignore: decorator
@inline const HLL_REGISTERS: u32 = 16384;
// @ts-ignore: decorator
@inline const HLL_P_MASK: u64 = 16383;
// @ts-ignore: decorator
@inline const HLL_REGISTER_MAX: u32 = 63;
// @ts-ignore: decorator
@inline const HLL_HEADER_BYTES: u32 = 16;
// @ts-ignore: decorator
@inline const HLL_DENSE_BYTES: u32 = 16 + 12288;
// @ts-ignore: decorator
@inline const HLL_DENSE: u32 = 0;
// @ts-ignore: decorator
@inline const HLL_SPARSE: u32 = 1;
// @ts-ignore: decorator
@inline const SPARSE_VAL_MAX_VALUE: u32 = 32;
// @ts-ignore: decorator
@inline const SPARSE_VAL_MAX_LEN: u32 = 4;
// @ts-ignore: decorator
@inline const SPARSE_ZERO_MAX_LEN: u32 = 64;
// @ts-ignore: decorator
@inline const SPARSE_XZERO_MAX_LEN: u32 = 16384;
// @ts-ignore: decorator
@inline const HASH_SEED: u64 = 0xadc83b19;
// 0.5 / ln(2)
// @ts-ignore: decorator
@inline const HLL_ALPHA_INF: f64 = 0.721347520444481703680;
// Slack after the work buffer's content: an opcode split grows the sparse
// string by up to 3 bytes, and reads may look one byte past the end (where
// Redis's strings keep their terminating zero).
// @ts-ignore: decorator
@inline const WORK_SLACK_BYTES: usize = 8;

// Results of the exported operations.
// @ts-ignore: decorator
@inline const RESULT_NOT_HLL: i32 = -2; // not a valid HyperLogLog string (WRONGTYPE)
// @ts-ignore: decorator
@inline const RESULT_CORRUPT: i32 = -1; // INVALIDOBJ

// Redis's hll-sparse-max-bytes: state.sparseMaxBytes.
state.sparseMaxBytes = 3000;

export function hll_set_sparse_max_bytes(bytes: u32): void {
  state.sparseMaxBytes = bytes;
}

// ---- hashing -------------------------------------------------------------

/** MurmurHash2, 64-bit version (MurmurHash64A), as Redis uses it. */
export function murmurHash64A(ptr: usize, len: u32, seed: u64): u64 {
  const m: u64 = 0xc6a4a7935bd1e995;
  let h: u64 = seed ^ (<u64>len * m);
  let p = ptr;
  const end = ptr + <usize>(len & ~7);
  while (p != end) {
    let k = load<u64>(p);
    k *= m;
    k ^= k >> 47;
    k *= m;
    h ^= k;
    h *= m;
    p += 8;
  }
  const rest = len & 7;
  if (rest != 0) {
    for (let i: i32 = <i32>rest - 1; i >= 0; i--) h ^= (<u64>load<u8>(p + <usize>i)) << (<u64>i << 3);
    h *= m;
  }
  h ^= h >> 47;
  h *= m;
  h ^= h >> 47;
  return h;
}

/**
 * The register an element goes to (left in state.patternIndex) and the length of
 * the 0...01 pattern in the rest of its hash, 1..51.
 */
function patternLength(ptr: usize, len: u32): u32 {
  let hash = murmurHash64A(ptr, len, HASH_SEED);
  state.patternIndex = <u32>(hash & HLL_P_MASK);
  hash >>= HLL_P;
  hash |= (<u64>1) << HLL_Q; // so the run ends, at most Q+1
  return <u32>ctz<u64>(hash) + 1;
}

// ---- dense registers -----------------------------------------------------

function denseGet(regs: usize, index: u32): u32 {
  const bit = index * 6;
  const byte = <usize>(bit >> 3);
  const fb = bit & 7;
  let v = <u32>load<u8>(regs + byte) >> fb;
  // A register starting at bit 0..2 of its byte fits in it; only the others
  // reach into the next byte (so the last register never reads past the end).
  if (fb > 2) v |= <u32>load<u8>(regs + byte + 1) << (8 - fb);
  return v & HLL_REGISTER_MAX;
}

function denseSet(regs: usize, index: u32, value: u32): void {
  const bit = index * 6;
  const byte = <usize>(bit >> 3);
  const fb = bit & 7;
  const b0 = <u32>load<u8>(regs + byte);
  store<u8>(regs + byte, <u8>((b0 & ~(HLL_REGISTER_MAX << fb)) | (value << fb)));
  if (fb > 2) {
    const b1 = <u32>load<u8>(regs + byte + 1);
    store<u8>(regs + byte + 1, <u8>((b1 & ~(HLL_REGISTER_MAX >> (8 - fb))) | (value >> (8 - fb))));
  }
}

/** Raises register `index` to `count` if lower; 1 if it changed. */
function denseRaise(regs: usize, index: u32, count: u32): i32 {
  if (count > denseGet(regs, index)) {
    denseSet(regs, index, count);
    return 1;
  }
  return 0;
}

// ---- sparse opcodes ------------------------------------------------------

// @inline functions here never assign to their parameters (asc crashes then).
// @ts-ignore: decorator
@inline function isZero(b: u32): bool { return (b & 0xc0) == 0; }
// @ts-ignore: decorator
@inline function isXZero(b: u32): bool { return (b & 0xc0) == 0x40; }
// @ts-ignore: decorator
@inline function isVal(b: u32): bool { return (b & 0x80) != 0; }
// @ts-ignore: decorator
@inline function zeroLen(b: u32): u32 { return (b & 0x3f) + 1; }
// @ts-ignore: decorator
@inline function xzeroLen(p: usize): u32 { return (((<u32>load<u8>(p) & 0x3f) << 8) | <u32>load<u8>(p + 1)) + 1; }
// @ts-ignore: decorator
@inline function valValue(b: u32): u32 { return ((b >> 2) & 0x1f) + 1; }
// @ts-ignore: decorator
@inline function valLen(b: u32): u32 { return (b & 3) + 1; }
// @ts-ignore: decorator
@inline function valByte(value: u32, len: u32): u8 { return <u8>(((value - 1) << 2) | (len - 1) | 0x80); }

function writeZeroRun(p: usize, len: u32): usize {
  if (len > SPARSE_ZERO_MAX_LEN) {
    const l = len - 1;
    store<u8>(p, <u8>((l >> 8) | 0x40));
    store<u8>(p + 1, <u8>(l & 0xff));
    return p + 2;
  }
  store<u8>(p, <u8>(len - 1));
  return p + 1;
}

// ---- the work buffer -----------------------------------------------------
//
// Holds one HLL string being edited (state.workLen bytes, header included),
// with a zero byte after it like an sds string's terminator. Its capacity
// (state.workCap) is always enough for a dense HLL, so promotion happens in
// it. Allocated on first use, with state.densePtr (scratch for sparse to
// dense conversion), state.hllMaxPtr (16384 one-byte registers: the union
// being merged) and state.histoPtr (i32[64] register histogram).

function ensureBuffers(): void {
  if (state.densePtr == 0) {
    state.densePtr = alloc(<usize>HLL_DENSE_BYTES + WORK_SLACK_BYTES);
    state.hllMaxPtr = alloc(<usize>HLL_REGISTERS);
    state.histoPtr = alloc(64 * 4);
  }
}

function workReserve(len: usize): void {
  ensureBuffers();
  let need = len + WORK_SLACK_BYTES;
  if (need < <usize>HLL_DENSE_BYTES + WORK_SLACK_BYTES) need = <usize>HLL_DENSE_BYTES + WORK_SLACK_BYTES;
  if (need > state.workCap) {
    state.workPtr = state.workPtr == 0 ? alloc(need) : realloc(state.workPtr, need);
    state.workCap = need;
  }
}

function workLoad(src: usize, len: usize): void {
  workReserve(len);
  memory.copy(state.workPtr, src, len);
  state.workLen = len;
  store<u8>(state.workPtr + len, 0);
}

/** sdsIncrLen: moves the end and writes the terminator there. */
function workSetLength(len: usize): void {
  state.workLen = len;
  store<u8>(state.workPtr + len, 0);
}

/**
 * Converts the sparse HLL in the work buffer to dense, keeping its header
 * (magic, unused bytes, cached cardinality). Returns false, leaving the
 * buffer as it was, if the opcodes do not cover exactly 16384 registers.
 */
function workToDense(): bool {
  memory.fill(state.densePtr, 0, <usize>HLL_DENSE_BYTES);
  memory.copy(state.densePtr, state.workPtr, <usize>HLL_HEADER_BYTES);
  store<u8>(state.densePtr + 4, <u8>HLL_DENSE);
  const regs = state.densePtr + <usize>HLL_HEADER_BYTES;
  let p = state.workPtr + <usize>HLL_HEADER_BYTES;
  const end = state.workPtr + state.workLen;
  let idx: i64 = 0;
  while (p < end) {
    const b = <u32>load<u8>(p);
    if (isZero(b)) {
      idx += zeroLen(b);
      p++;
    } else if (isXZero(b)) {
      idx += xzeroLen(p);
      p += 2;
    } else {
      let run = valLen(b);
      const value = valValue(b);
      if (<i64>run + idx > <i64>HLL_REGISTERS) break;
      while (run-- > 0) {
        denseSet(regs, <u32>idx, value);
        idx++;
      }
      p++;
    }
  }
  if (idx != <i64>HLL_REGISTERS) return false;
  memory.copy(state.workPtr, state.densePtr, <usize>HLL_DENSE_BYTES);
  workSetLength(<usize>HLL_DENSE_BYTES);
  return true;
}

/** Promotes the work buffer to dense and sets the register there: 1, or -1 if corrupt. */
function workPromoteAndSet(index: u32, count: u32): i32 {
  if (!workToDense()) return RESULT_CORRUPT;
  denseRaise(state.workPtr + <usize>HLL_HEADER_BYTES, index, count);
  return 1;
}

function invalidateCache(hll: usize): void {
  store<u8>(hll + 15, load<u8>(hll + 15) | 0x80);
}

/**
 * Raises register `index` of the sparse HLL in the work buffer to `count`,
 * as Redis's hllSparseSet does it: 1 if changed, 0 if not needed, -1 if the
 * data is corrupt. May promote the buffer to dense.
 */
function workSparseSet(index: u32, count: u32): i32 {
  if (count > SPARSE_VAL_MAX_VALUE) return workPromoteAndSet(index, count);

  // Step 1: find the opcode that covers the register.
  const sparse = state.workPtr + <usize>HLL_HEADER_BYTES;
  let end = state.workPtr + state.workLen;
  let p = sparse;
  let prev: usize = 0;
  let first: i64 = 0;
  let span: i64 = 0;
  while (p < end) {
    const b = <u32>load<u8>(p);
    let opLength: usize = 1;
    if (isZero(b)) span = zeroLen(b);
    else if (isVal(b)) span = valLen(b);
    else {
      span = xzeroLen(p);
      opLength = 2;
    }
    if (<i64>index <= first + span - 1) break;
    prev = p;
    p += opLength;
    first += span;
  }
  if (span == 0 || p >= end) return RESULT_CORRUPT;

  const op = <u32>load<u8>(p);
  let next: usize = isXZero(op) ? p + 2 : p + 1;
  if (next >= end) next = 0;
  let runLength: u32;
  const opIsZero = isZero(op);
  const opIsXZero = isXZero(op);
  if (opIsZero) runLength = zeroLen(op);
  else if (opIsXZero) runLength = xzeroLen(p);
  else runLength = valLen(op);

  // Step 2: the cases that need no split.
  let updated = false;
  if (!opIsZero && !opIsXZero) {
    if (valValue(op) >= count) return 0; // already as high
    if (runLength == 1) {
      store<u8>(p, valByte(count, 1));
      updated = true;
    }
  }
  if (!updated && opIsZero && runLength == 1) {
    store<u8>(p, valByte(count, 1));
    updated = true;
  }

  if (!updated) {
    // Step 3: split the opcode into up to three (XZERO-VAL-XZERO at worst,
    // five bytes) and put them in its place.
    const seq = state.densePtr; // 5 bytes of scratch; dense conversion is not in progress
    let n = seq;
    const last = first + span - 1;
    if (opIsZero || opIsXZero) {
      if (<i64>index != first) n = writeZeroRun(n, <u32>(<i64>index - first));
      store<u8>(n++, valByte(count, 1));
      if (<i64>index != last) n = writeZeroRun(n, <u32>(last - <i64>index));
    } else {
      const current = valValue(op);
      if (<i64>index != first) store<u8>(n++, valByte(current, <u32>(<i64>index - first)));
      store<u8>(n++, valByte(count, 1));
      if (<i64>index != last) store<u8>(n++, valByte(current, <u32>(last - <i64>index)));
    }
    const seqLength = <i32>(n - seq);
    const oldLength: i32 = opIsXZero ? 2 : 1;
    const delta = seqLength - oldLength;
    if (delta > 0 && <i64>state.workLen + <i64>delta > <i64>state.sparseMaxBytes) return workPromoteAndSet(index, count);
    if (delta != 0 && next != 0) memory.copy(<usize>(<isize>next + delta), next, end - next);
    workSetLength(<usize>(<isize>state.workLen + delta));
    memory.copy(p, seq, <usize>seqLength);
    end = <usize>(<isize>end + delta);
  }

  // Step 4: merge adjacent VAL opcodes of the same value, looking at no more
  // than five opcodes from the one before the edit.
  p = prev != 0 ? prev : sparse;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const b = <u32>load<u8>(p);
    if (isXZero(b)) {
      p += 2;
      continue;
    } else if (isZero(b)) {
      p++;
      continue;
    }
    if (p + 1 < end) {
      const b2 = <u32>load<u8>(p + 1);
      if (isVal(b2)) {
        const v = valValue(b);
        if (v == valValue(b2)) {
          const len = valLen(b) + valLen(b2);
          if (len <= SPARSE_VAL_MAX_LEN) {
            store<u8>(p + 1, valByte(v, len));
            memory.copy(p, p + 1, end - p);
            workSetLength(state.workLen - 1);
            end--;
            continue; // try to merge the merged opcode with the next one
          }
        }
      }
    }
    p++;
  }
  invalidateCache(state.workPtr);
  return 1;
}

/** Adds one element to the HLL in the work buffer: 1 if a register changed, 0 if not, -1 if corrupt. */
function workAdd(ptr: usize, len: u32): i32 {
  const count = patternLength(ptr, len);
  if (<u32>load<u8>(state.workPtr + 4) == HLL_DENSE) {
    return denseRaise(state.workPtr + <usize>HLL_HEADER_BYTES, state.patternIndex, count);
  }
  return workSparseSet(state.patternIndex, count);
}

/** Writes the work buffer back as the value of entry `e`; returns the entry (it may move). */
function workStore(dbIndex: u32, e: usize): usize {
  const moved = ks_string_resize(dbIndex, e, <u32>state.workLen);
  memory.copy(entryStringPtr(moved), state.workPtr, state.workLen);
  return moved;
}

// ---- validation ----------------------------------------------------------

/** Whether a string value is an HLL Redis would accept (header, encoding, dense size). */
function isHll(ptr: usize, len: u32): bool {
  if (len < HLL_HEADER_BYTES) return false;
  if (load<u32>(ptr) != 0x4c4c5948) return false; // "HYLL" little endian
  const enc = <u32>load<u8>(ptr + 4);
  if (enc > HLL_SPARSE) return false;
  if (enc == HLL_DENSE && len != HLL_DENSE_BYTES) return false;
  return true;
}

/** 1 if the string entry holds a valid HLL. */
export function hll_valid(e: usize): i32 {
  return isHll(entryStringPtr(e), entryStringLength(e)) ? 1 : 0;
}

// ---- counting ------------------------------------------------------------

function histoReset(): void {
  ensureBuffers();
  memory.fill(state.histoPtr, 0, 64 * 4);
}

// @ts-ignore: decorator
@inline function histoAdd(value: u32, n: i32): void {
  const at = state.histoPtr + (<usize>value << 2);
  store<i32>(at, load<i32>(at) + n);
}

function histoDense(regs: usize): void {
  for (let i: u32 = 0; i < HLL_REGISTERS; i++) histoAdd(denseGet(regs, i), 1);
}

/** Histogram of a sparse HLL's registers; false if they do not add up to 16384. */
function histoSparse(ptr: usize, len: usize): bool {
  let p = ptr;
  const end = ptr + len;
  let idx: i64 = 0;
  while (p < end) {
    const b = <u32>load<u8>(p);
    if (isZero(b)) {
      const run = zeroLen(b);
      idx += run;
      histoAdd(0, <i32>run);
      p++;
    } else if (isXZero(b)) {
      // An XZERO cut off at the very end reads the terminator as its second byte.
      const run = p + 1 < end ? xzeroLen(p) : ((b & 0x3f) << 8) + 1;
      idx += run;
      histoAdd(0, <i32>run);
      p += 2;
    } else {
      const run = valLen(b);
      idx += run;
      histoAdd(valValue(b), <i32>run);
      p++;
    }
  }
  return idx == <i64>HLL_REGISTERS;
}

function sigma(x0: f64): f64 {
  if (x0 == 1.0) return Infinity;
  let x = x0;
  let y: f64 = 1;
  let z = x;
  let zPrime: f64;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime != z);
  return z;
}

function tau(x0: f64): f64 {
  if (x0 == 0.0 || x0 == 1.0) return 0;
  let x = x0;
  let y: f64 = 1.0;
  let z = 1 - x;
  let zPrime: f64;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime != z);
  return z / 3;
}

/** The cardinality estimate from the histogram (Ertl's improved raw estimator). */
function histoEstimate(): u64 {
  const m = <f64>HLL_REGISTERS;
  const h = state.histoPtr;
  let z = m * tau((m - <f64>load<i32>(h + ((<usize>HLL_Q + 1) << 2))) / m);
  for (let j: i32 = <i32>HLL_Q; j >= 1; j--) {
    z += <f64>load<i32>(h + (<usize>j << 2));
    z *= 0.5;
  }
  z += m * sigma(<f64>load<i32>(h) / m);
  const e = HLL_ALPHA_INF * m * m / z;
  // llroundl: halfway cases away from zero (e is never negative).
  let r = Math.floor(e);
  if (e - r >= 0.5) r += 1;
  return <u64>r;
}

function storeCount(lo: u32, hi: u32): void {
  ctlSetI32(0, <i32>lo);
  ctlSetI32(1, <i32>hi);
}

/**
 * PFCOUNT of one key: returns -2 if not an HLL, -1 if corrupt, else 0 with the
 * count in control slots 0 (low 32 bits) and 1 (high), and slot 2 set to 1
 * when the cached count was recomputed and stored (the value changed).
 */
export function hll_count(e: usize): i32 {
  const ptr = entryStringPtr(e);
  const len = entryStringLength(e);
  if (!isHll(ptr, len)) return RESULT_NOT_HLL;
  ks_entry_set_encoding(e, ENC_RAW);
  if ((load<u8>(ptr + 15) & 0x80) == 0) {
    storeCount(load<u32>(ptr + 8), load<u32>(ptr + 12));
    ctlSetI32(2, 0);
    return 0;
  }
  histoReset();
  if (<u32>load<u8>(ptr + 4) == HLL_DENSE) {
    histoDense(ptr + <usize>HLL_HEADER_BYTES);
  } else if (!histoSparse(ptr + <usize>HLL_HEADER_BYTES, <usize>len - <usize>HLL_HEADER_BYTES)) {
    return RESULT_CORRUPT;
  }
  const card = histoEstimate();
  store<u64>(ptr + 8, card);
  storeCount(<u32>card, <u32>(card >> 32));
  ctlSetI32(2, 1);
  return 0;
}

// ---- adding --------------------------------------------------------------

/** Creates `key` holding an empty (sparse) HLL, as Redis's createHLLObject. Returns the entry. */
export function hll_create(dbIndex: u32, kptr: usize, klen: u32): usize {
  const e = setStringRaw(dbIndex, kptr, klen, HLL_HEADER_BYTES + 2, false, true);
  const p = entryStringPtr(e);
  memory.fill(p, 0, <usize>HLL_HEADER_BYTES);
  store<u32>(p, 0x4c4c5948); // "HYLL"
  store<u8>(p + 4, <u8>HLL_SPARSE);
  const l = SPARSE_XZERO_MAX_LEN - 1;
  store<u8>(p + 16, <u8>((l >> 8) | 0x40));
  store<u8>(p + 17, <u8>(l & 0xff));
  ks_entry_set_encoding(e, ENC_RAW);
  return e;
}

/**
 * PFADD of `count` elements, packed at `elems` as [len u32][bytes]..., to the
 * HLL at entry `e`. Returns how many elements changed a register, -2 if the
 * value is not an HLL, or -1 if it is corrupt (elements before the corrupt
 * spot stay added, as in Redis). Control slot 0 is 1 when the value changed.
 * `created` says the key was just made by hll_create: PFADD counts that as a
 * change, so the cache is marked stale even when no register moved.
 */
export function hll_add(dbIndex: u32, e: usize, elems: usize, count: u32, created: i32): i32 {
  const ptr = entryStringPtr(e);
  const len = entryStringLength(e);
  if (!isHll(ptr, len)) return RESULT_NOT_HLL;
  ks_entry_set_encoding(e, ENC_RAW);
  let updated: i32 = 0;
  let p = elems;
  if (<u32>load<u8>(ptr + 4) == HLL_DENSE) {
    const regs = ptr + <usize>HLL_HEADER_BYTES;
    for (let i: u32 = 0; i < count; i++) {
      const elen = load<u32>(p);
      const c = patternLength(p + 4, elen);
      updated += denseRaise(regs, state.patternIndex, c);
      p += 4 + <usize>elen;
    }
    if (updated > 0) invalidateCache(ptr);
    ctlSetI32(0, updated > 0 ? 1 : 0);
    return updated;
  }
  workLoad(ptr, len);
  let result: i32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const elen = load<u32>(p);
    const r = workAdd(p + 4, elen);
    if (r < 0) {
      result = r;
      break;
    }
    updated += r;
    p += 4 + <usize>elen;
  }
  if (updated > 0) {
    if (result == 0) invalidateCache(state.workPtr);
    workStore(dbIndex, e);
  } else if (created != 0 && result == 0) {
    invalidateCache(ptr);
  }
  ctlSetI32(0, updated > 0 ? 1 : 0);
  return result < 0 ? result : updated;
}

// ---- merging -------------------------------------------------------------

/** Starts a union (PFCOUNT of several keys, PFMERGE): all registers 0. */
export function hll_merge_reset(): void {
  ensureBuffers();
  memory.fill(state.hllMaxPtr, 0, <usize>HLL_REGISTERS);
  state.mergeUsesDense = false;
}

/** Adds the HLL at entry `e` to the union: 0, -2 if not an HLL, -1 if corrupt. */
export function hll_merge_from(e: usize): i32 {
  const ptr = entryStringPtr(e);
  const len = entryStringLength(e);
  if (!isHll(ptr, len)) return RESULT_NOT_HLL;
  if (<u32>load<u8>(ptr + 4) == HLL_DENSE) {
    state.mergeUsesDense = true;
    const regs = ptr + <usize>HLL_HEADER_BYTES;
    for (let i: u32 = 0; i < HLL_REGISTERS; i++) {
      const v = <u8>denseGet(regs, i);
      if (v > load<u8>(state.hllMaxPtr + i)) store<u8>(state.hllMaxPtr + i, v);
    }
    return 0;
  }
  let p = ptr + <usize>HLL_HEADER_BYTES;
  const end = ptr + <usize>len;
  let idx: i64 = 0;
  while (p < end) {
    const b = <u32>load<u8>(p);
    if (isZero(b)) {
      idx += zeroLen(b);
      p++;
    } else if (isXZero(b)) {
      idx += p + 1 < end ? xzeroLen(p) : ((b & 0x3f) << 8) + 1;
      p += 2;
    } else {
      let run = valLen(b);
      const v = <u8>valValue(b);
      if (<i64>run + idx > <i64>HLL_REGISTERS) break;
      while (run-- > 0) {
        const at = state.hllMaxPtr + <usize>idx;
        if (v > load<u8>(at)) store<u8>(at, v);
        idx++;
      }
      p++;
    }
  }
  return idx == <i64>HLL_REGISTERS ? 0 : RESULT_CORRUPT;
}

/** The estimated cardinality of the union. */
export function hll_merge_count(): f64 {
  histoReset();
  for (let i: u32 = 0; i < HLL_REGISTERS; i++) histoAdd(<u32>load<u8>(state.hllMaxPtr + i), 1);
  return <f64>histoEstimate();
}

/**
 * PFMERGE's write: stores the union into the destination, entry `e` (a valid
 * HLL) or, if e is 0, a new key. Returns 0, or -1 if the destination is
 * corrupt and had to be made dense.
 */
export function hll_merge_store(dbIndex: u32, e: usize, kptr: usize, klen: u32): i32 {
  let dest = e;
  if (dest == 0) dest = hll_create(dbIndex, kptr, klen);
  ks_entry_set_encoding(dest, ENC_RAW);
  const ptr = entryStringPtr(dest);
  if (<u32>load<u8>(ptr + 4) == HLL_DENSE) {
    const regs = ptr + <usize>HLL_HEADER_BYTES;
    for (let i: u32 = 0; i < HLL_REGISTERS; i++) {
      const v = <u32>load<u8>(state.hllMaxPtr + i);
      if (v != 0) denseRaise(regs, i, v);
    }
    invalidateCache(ptr);
    return 0;
  }
  workLoad(ptr, entryStringLength(dest));
  if (state.mergeUsesDense && !workToDense()) return RESULT_CORRUPT;
  for (let i: u32 = 0; i < HLL_REGISTERS; i++) {
    const v = <u32>load<u8>(state.hllMaxPtr + i);
    if (v == 0) continue;
    if (<u32>load<u8>(state.workPtr + 4) == HLL_DENSE) denseRaise(state.workPtr + <usize>HLL_HEADER_BYTES, i, v);
    else workSparseSet(i, v);
  }
  invalidateCache(state.workPtr);
  workStore(dbIndex, dest);
  return 0;
}

// ---- debugging -----------------------------------------------------------

/** PFDEBUG TODENSE: 1 if converted, 0 if already dense, -2 not an HLL, -1 corrupt. */
export function hll_to_dense(dbIndex: u32, e: usize): i32 {
  const ptr = entryStringPtr(e);
  const len = entryStringLength(e);
  if (!isHll(ptr, len)) return RESULT_NOT_HLL;
  ks_entry_set_encoding(e, ENC_RAW);
  if (<u32>load<u8>(ptr + 4) == HLL_DENSE) return 0;
  workLoad(ptr, len);
  if (!workToDense()) return RESULT_CORRUPT;
  workStore(dbIndex, e);
  return 1;
}

/** Writes the 16384 registers of a dense HLL entry to the output (reset first), one byte each. */
export function hll_registers(e: usize): void {
  out_reset();
  const regs = entryStringPtr(e) + <usize>HLL_HEADER_BYTES;
  const out = out_reserve(<usize>HLL_REGISTERS);
  for (let i: u32 = 0; i < HLL_REGISTERS; i++) store<u8>(out + i, <u8>denseGet(regs, i));
}
