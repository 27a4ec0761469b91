// The boundary between the core and its host.
//
// No mutable state outside linear memory (core-wasm/state.ts): the scratch
// region's and output buffer's pointers, capacities and lengths are
// state.scratch*/state.out*; the control block is static memory. A snapshot is
// a copy of memory, so nothing may live in a Wasm global.
//
// The host never passes JavaScript values into the core, only numbers: it
// encodes arguments into the scratch region (io_scratch) and passes pointers
// and lengths. Results that do not fit one return value go into the control
// block (fixed slots of i32 and f64), and results of variable size (ranges,
// scans, replies) into the output buffer, which the host reads by pointer and
// length after the call. Both the scratch region and the output buffer are
// reused across calls; their contents are valid only until the next call.
//
//   control block: [ i32 x 16 ][ f64 x 16 ]
//   output buffer: bytes appended by out_* helpers, cleared by out_reset()

import { alloc, realloc } from "./mem";
import { state } from "./state";

// @ts-ignore: decorator
@inline const CTL_I32_SLOTS: usize = 16;
// @ts-ignore: decorator
@inline const CTL_F64_SLOTS: usize = 16;

const ctl: usize = memory.data(<i32>(CTL_I32_SLOTS * 4 + CTL_F64_SLOTS * 8), 16);

state.scratchPtr = alloc(4096);
state.scratchCap = 4096;

state.outPtr = alloc(4096);
state.outCap = 4096;
export function io_ctl(): usize {
  return ctl;
}

export function ctlSetI32(slot: usize, v: i32): void {
  store<i32>(ctl + slot * 4, v);
}
export function ctlGetI32(slot: usize): i32 {
  return load<i32>(ctl + slot * 4);
}
export function ctlSetF64(slot: usize, v: f64): void {
  store<f64>(ctl + CTL_I32_SLOTS * 4 + slot * 8, v);
}
export function ctlGetF64(slot: usize): f64 {
  return load<f64>(ctl + CTL_I32_SLOTS * 4 + slot * 8);
}

/** A region of at least `size` bytes for the host to write arguments into. */
export function io_scratch(size: usize): usize {
  if (size > state.scratchCap) {
    let cap = state.scratchCap;
    while (cap < size) cap <<= 1;
    state.scratchPtr = realloc(state.scratchPtr, cap);
    state.scratchCap = cap;
  }
  return state.scratchPtr;
}

export function io_out_ptr(): usize {
  return state.outPtr;
}
export function io_out_len(): usize {
  return state.outLen;
}

export function out_reset(): void {
  state.outLen = 0;
}

/** Makes room for `n` more bytes and returns where they go. */
export function out_reserve(n: usize): usize {
  const need = state.outLen + n;
  if (need > state.outCap) {
    let cap = state.outCap;
    while (cap < need) cap <<= 1;
    state.outPtr = realloc(state.outPtr, cap);
    state.outCap = cap;
  }
  const at = state.outPtr + state.outLen;
  state.outLen = need;
  return at;
}

export function out_u32(v: u32): void {
  store<u32>(out_reserve(4), v);
}
export function out_f64(v: f64): void {
  store<f64>(out_reserve(8), v);
}
/** Appends a length-prefixed byte string: [len u32][bytes]. */
export function out_bytes(ptr: usize, len: usize): void {
  const at = out_reserve(4 + len);
  store<u32>(at, <u32>len);
  memory.copy(at + 4, ptr, len);
}
/** Appends raw bytes without a length prefix. */
export function out_raw(ptr: usize, len: usize): void {
  memory.copy(out_reserve(len), ptr, len);
}
