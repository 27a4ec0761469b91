// The core's state block: every mutable variable of the core, in linear memory.
//
// Rule: the core keeps no mutable state outside linear memory. A module that
// needs a variable that lives across calls (a pointer, a capacity, a seed, a
// flag) or even a scratch variable shared between two of its functions adds a
// field here and uses `state.field`; fixed-size scratch arrays are static
// (`memory.data`), never `alloc`ed into a module-level constant. No module of
// the core declares a module-level `let`, nor a `const` that is computed at
// start. test/unit/snapshot-state.test.ts fails if one appears.
//
// Why: a snapshot of the engine is a copy of linear memory, and a restore is
// an instantiation of the same module with that copy written over its memory
// (runtime/snapshot.ts). Wasm globals are not in the copy. With everything in
// memory, the copy is the whole core: the keyspace, the allocator's free
// lists (TLSF keeps its root structure in memory too), the seeds, the RNG
// position and the buffers' pointers and capacities, so the restored core
// behaves exactly as the original would, on any host.
//
// The one global that remains is AssemblyScript's TLSF root pointer (ROOT),
// which is not ours to move. It is set on the first allocation, when the
// start function runs, to a constant of the build: the aligned __heap_base.
// Before a snapshot, snapshot_prepare records it here; after a restore,
// snapshot_restored checks that the fresh instance's ROOT is the same, so
// the image's allocator is the one in use.
//
// The block sits at a fixed address of static memory (a constant of the
// build, like every field offset), zeroed by instantiation; each module sets
// its fields' initial values in its top-level code, which runs in the start
// function of a fresh instance and is overwritten by a restored image.
//
//   magic, layoutBytes        what snapshot_restored checks
//   allocatorRoot             TLSF's ROOT when the image was taken
//   then one group of fields per module (mem, hashing, io, dict, sampling,
//   keyspace, list, zset, hll, strings, pending), in that order

import { ROOT } from "~lib/rt/tlsf";

// "TRST": a state block is present and initialized.
// @ts-ignore: decorator
@inline const STATE_MAGIC: u32 = 0x54535254;

@unmanaged
export class CoreState {
  magic: u32;
  layoutBytes: u32;
  allocatorRoot: usize;

  // mem.ts: bytes held by live blocks, headers included.
  usedBytes: usize;

  // hashing.ts: the hash seed and the xorshift64* state.
  hashSeed: u64;
  rngState: u64;

  // io.ts: the scratch region and the output buffer.
  scratchPtr: usize;
  scratchCap: usize;
  outPtr: usize;
  outCap: usize;
  outLen: usize;

  // dict.ts: the link of the last find, and the entry vector.
  foundLink: usize;
  vecPtr: usize;
  vecCap: u32;
  vecLen: u32;

  // sampling.ts: the chosen entries.
  sampleBuf: usize;
  sampleCap: u32;
  sampleCount: u32;

  // keyspace.ts: databases, clock, replay mode, follower reads, key log,
  // eviction score.
  dbs: usize;
  dbCount: u32;
  replaying: bool;
  hideExpired: bool;
  nowMs: f64;
  keyLogPtr: usize;
  keyLogCap: usize;
  keyLogLen: usize;
  keyLogCount: u32;
  evictScore: f64;
  lruNow: u32;
  logNewKeys: bool;

  // list.ts: the last entry header size and located position, and the
  // length of the element listEndElement found.
  entryHeaderBytes: u32;
  locChunk: u32;
  locOffset: u32;
  listElementLength: u32;

  // zset.ts: the lex range of the current operation.
  lexMinPtr: usize;
  lexMinLen: u32;
  lexMinKind: u32;
  lexMaxPtr: usize;
  lexMaxLen: u32;
  lexMaxKind: u32;

  // hll.ts: settings, the last register index, and the work buffers.
  sparseMaxBytes: u32;
  patternIndex: u32;
  workPtr: usize;
  workCap: usize;
  workLen: usize;
  densePtr: usize;
  hllMaxPtr: usize;
  mergeUsesDense: bool;
  histoPtr: usize;

  // counter.ts: the last parsed integer and the last INCR result.
  parsedI64: i64;
  incrResult: i64;

  // exec.ts: the batched executor's regions, the command being parsed, its
  // group and options.
  exec_inPtr: usize;
  exec_inCap: usize;
  exec_argvPtr: usize;
  exec_argvCap: u32;
  exec_argc: u32;
  exec_fxPtr: usize;
  exec_fxCap: usize;
  exec_fxLen: usize;
  exec_fxCount: u32;
  exec_resp3: bool;
  exec_errorReplies: u32;
  exec_recordEffects: bool;
  exec_expiredKeys: u32;
  exec_argBase: u32;
  exec_parseEnd: usize;
  exec_lineValue: u32;
  exec_hostRecord: usize;
  exec_argHashKnown: bool;
  exec_argHash: u32;
  exec_warmedCommands: u32;
  exec_score: f64;
  exec_gate: bool;

  // pending.ts: a durable primary's pending-write table, the LSN its native
  // writes note, and the native run's read wait and write commands.
  pend_table: usize;
  pend_lsn: f64;
  pend_readWait: f64;
  pend_writeCommands: u32;

  // strings.ts: the last parsed integer and resolved bit range.
  parsedValue: i64;
  rangeStart: i64;
  rangeEnd: i64;
}

export const state = changetype<CoreState>(memory.data(offsetof<CoreState>(), 16));

state.magic = STATE_MAGIC;
state.layoutBytes = <u32>offsetof<CoreState>();

/** Where the state block is (for tests and tools). */
export function state_ptr(): usize {
  return changetype<usize>(state);
}

/** The state block's size in bytes. */
export function state_bytes(): usize {
  return offsetof<CoreState>();
}

/**
 * Called just before linear memory is copied into an image: writes into the
 * block the little that lives outside memory (TLSF's root pointer).
 * Returns the memory's size in bytes.
 */
export function snapshot_prepare(): f64 {
  state.allocatorRoot = changetype<usize>(ROOT);
  return <f64>(<usize>memory.size() << 16);
}

/**
 * Called after an image was written over a fresh instance's memory: 1 when
 * the block is one this build wrote and the instance's allocator root is
 * the image's, 0 otherwise (the instance must then be thrown away).
 */
export function snapshot_restored(): i32 {
  if (state.magic != STATE_MAGIC) return 0;
  if (state.layoutBytes != <u32>offsetof<CoreState>()) return 0;
  const root = changetype<usize>(ROOT);
  if (root == 0 || root != state.allocatorRoot) return 0;
  return 1;
}
