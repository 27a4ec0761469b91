// Hashing of byte strings for the hash tables, and a small PRNG.
//
// No mutable state outside linear memory (core-wasm/state.ts): the hash seed
// and the RNG position are state.hashSeed and state.rngState. A snapshot is a
// copy of memory, so nothing may live in a Wasm global.
//
// The hash reads the input 8 bytes at a time (never past its end), mixes each
// word with a multiply-rotate-multiply step and finishes with MurmurHash3's
// 64-bit finalizer; the table index uses the low bits. The seed is set once
// when the keyspace is created and lives in linear memory like everything
// else, so a memory image restored elsewhere hashes the same way.

import { state } from "./state";

// @ts-ignore: decorator
@inline const K1: u64 = 0x87c37b91114253d5;
// @ts-ignore: decorator
@inline const K2: u64 = 0x4cf5ad432745937f;

state.hashSeed = 0x9e3779b97f4a7c15;

export function setHashSeed(seed: u64): void {
  state.hashSeed = seed;
}

function fmix64(k: u64): u64 {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccd;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53;
  k ^= k >> 33;
  return k;
}

export function hashBytes(ptr: usize, len: usize): u32 {
  let h: u64 = state.hashSeed ^ (<u64>len * K2);
  let p = ptr;
  const end = ptr + len;
  while (p + 8 <= end) {
    let w = load<u64>(p);
    w *= K1;
    w = rotl<u64>(w, 31);
    w *= K2;
    h ^= w;
    h = rotl<u64>(h, 27) * 5 + 0x52dce729;
    p += 8;
  }
  let tail: u64 = 0;
  let shift: u64 = 0;
  while (p < end) {
    tail |= (<u64>load<u8>(p)) << shift;
    shift += 8;
    p++;
  }
  h ^= rotl<u64>(tail * K1, 31) * K2;
  h = fmix64(h);
  return <u32>(h ^ (h >> 32));
}

// xorshift64* — fast, good enough for sampling and random members.
state.rngState = 0x2545f4914f6cdd1d;

export function setRandomSeed(seed: u64): void {
  state.rngState = seed == 0 ? 0x2545f4914f6cdd1d : seed;
}

export function randomU64(): u64 {
  let x = state.rngState;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  state.rngState = x;
  return x * 0x2545f4914f6cdd1d;
}

/** A uniform number in [0, 1) with 53 random bits: the host's random choices. */
export function random_f64(): f64 {
  return <f64>(randomU64() >> 11) * 1.1102230246251565e-16; // 2^-53
}

/** A uniform integer in [0, n). */
export function randomBelow(n: u32): u32 {
  return <u32>((randomU64() >> 32) % <u64>n);
}
