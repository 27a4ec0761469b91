// The boundary between the core and its host.
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

// @ts-ignore: decorator
@inline const CTL_I32_SLOTS: usize = 16;
// @ts-ignore: decorator
@inline const CTL_F64_SLOTS: usize = 16;

const ctl: usize = alloc(CTL_I32_SLOTS * 4 + CTL_F64_SLOTS * 8);

let scratchPtr: usize = alloc(4096);
let scratchCap: usize = 4096;

let outPtr: usize = alloc(4096);
let outCap: usize = 4096;
let outLen: usize = 0;

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
  if (size > scratchCap) {
    let cap = scratchCap;
    while (cap < size) cap <<= 1;
    scratchPtr = realloc(scratchPtr, cap);
    scratchCap = cap;
  }
  return scratchPtr;
}

export function io_out_ptr(): usize {
  return outPtr;
}
export function io_out_len(): usize {
  return outLen;
}

export function out_reset(): void {
  outLen = 0;
}

/** Makes room for `n` more bytes and returns where they go. */
export function out_reserve(n: usize): usize {
  const need = outLen + n;
  if (need > outCap) {
    let cap = outCap;
    while (cap < need) cap <<= 1;
    outPtr = realloc(outPtr, cap);
    outCap = cap;
  }
  const at = outPtr + outLen;
  outLen = need;
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
