// Memory: every allocation of the core goes through here.
//
// No mutable state outside linear memory (core-wasm/state.ts): the bytes-in-use
// counter is state.usedBytes, and TLSF keeps its free lists in memory too. A
// snapshot is a copy of memory, so nothing may live in a Wasm global.
//
// The allocator is AssemblyScript's TLSF (two-level segregated fit) from the
// standard runtime, reached through heap.alloc/heap.free only; the core never
// creates a managed object, so no garbage collector ever runs over our data.
// TLSF coalesces neighbouring free blocks and reuses large blocks, which
// matters when hash tables double and leave their old bucket arrays behind.
//
// Each block carries a 4-byte header whose upper bits hold the block size
// (rounded to 16 bytes); we read it to keep an exact count of the bytes in use,
// which is what INFO memory and maxmemory are measured against.

import { state } from "./state";

// @ts-ignore: decorator
@inline const TLSF_HEADER_BYTES: usize = 4;
// @ts-ignore: decorator
@inline const TLSF_SIZE_MASK: usize = ~3;

export function blockBytes(ptr: usize): usize {
  return (load<usize>(ptr - TLSF_HEADER_BYTES) & TLSF_SIZE_MASK) + TLSF_HEADER_BYTES;
}

export function alloc(size: usize): usize {
  const ptr = heap.alloc(size);
  state.usedBytes += blockBytes(ptr);
  return ptr;
}

export function allocZeroed(size: usize): usize {
  const ptr = alloc(size);
  memory.fill(ptr, 0, size);
  return ptr;
}

export function realloc(ptr: usize, size: usize): usize {
  state.usedBytes -= blockBytes(ptr);
  const moved = heap.realloc(ptr, size);
  state.usedBytes += blockBytes(moved);
  return moved;
}

export function free(ptr: usize): void {
  if (ptr == 0) return;
  state.usedBytes -= blockBytes(ptr);
  heap.free(ptr);
}

/** Bytes held by live blocks, headers included. */
export function mem_used(): f64 {
  return <f64>state.usedBytes;
}

/** Bytes of linear memory, used or not. */
export function mem_total(): f64 {
  return <f64>(<usize>memory.size() << 16);
}

export function bytesEqual(a: usize, b: usize, len: usize): bool {
  // Word at a time whatever the alignment (Wasm loads may be unaligned);
  // keys are rarely aligned alike, and memory.compare goes byte by byte then.
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
  }
  for (; i < len; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  return true;
}

/** memcmp-style ordering of two byte strings, shorter first on a common prefix. */
export function bytesCompare(a: usize, aLen: usize, b: usize, bLen: usize): i32 {
  const n = aLen < bLen ? aLen : bLen;
  const c = memory.compare(a, b, n);
  if (c != 0) return c;
  return aLen < bLen ? -1 : aLen > bLen ? 1 : 0;
}
