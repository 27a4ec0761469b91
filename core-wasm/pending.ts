// A durable primary's pending writes, for its reply gate (runtime/log/gate.ts).
//
// A reply that shows a key must wait until every write of that key it could
// show is committed (held by a quorum of log stores). The gate asks "what is
// the newest record not yet committed that wrote this key?", and the answer
// is kept here: for each slot of keys (the keyspace's hash of the key, mixed
// with the database, folded to PENDING_SLOTS) the LSN of the newest log
// record that wrote a key of that slot. Keys that share a slot only make a
// read wait for each other's writes. An LSN at or below the commit LSN is no
// longer pending, so nothing is ever removed: a write costs one store, a
// read one load. The table is small enough (128 KiB) to stay in the CPU's
// cache: at 65,536 slots each note was a cache miss, and cost more than
// the command (docs/BENCHMARKS.md).
//
// The core keeps it because it already holds every key a native command
// names, and has hashed most of them: under FLAG_GATE (exec.ts) the keys of a native write's effect get
// the LSN of the open record it goes into (pending_set_lsn), and the keys a
// native read names raise the run's read wait (pending_read_wait). The host
// notes the effects of the commands it runs itself (pending_note) and asks
// for the keys of its own reads (pending_newest), through the same slots.
//
//   pending_reset()                 once, when a gate attaches: allocated, zeroed
//   pending_set_lsn(lsn)            before each exec_run under FLAG_GATE
//   pending_run_begin()             before a native run whose waits the host reads
//   pending_read_wait()             the newest pending write its reads named
//   pending_write_commands()        how many write commands it ran (changed data or not)

import { alloc } from "./mem";
import { state } from "./state";
import { hashBytes } from "./hashing";

// @ts-ignore: decorator
@inline const PENDING_SLOTS: u32 = 1 << 14;

/** Where the slot of a key of database `db` with keyspace hash `hash` (hashBytes) is. */
// @ts-ignore: decorator
@inline function slotAddress(db: u32, hash: u32): usize {
  const slot = (hash ^ (db * 0x9e3779b1)) & (PENDING_SLOTS - 1);
  return state.pend_table + (<usize>slot << 3);
}

/** A native write's effect names the key with this hash: the open record is now its newest pending write. */
export function pendingWrite(db: u32, hash: u32): void {
  store<f64>(slotAddress(db, hash), state.pend_lsn);
}

/** A native read names the key with this hash: the run's replies wait for its newest pending write. */
export function pendingRead(db: u32, hash: u32): void {
  const lsn = load<f64>(slotAddress(db, hash));
  if (lsn > state.pend_readWait) state.pend_readWait = lsn;
}

/** Whether exec_run may keep the table (a gate has reset it). */
export function pendingReady(): bool {
  return state.pend_table != 0;
}

export function pending_reset(): void {
  if (state.pend_table == 0) state.pend_table = alloc(<usize>PENDING_SLOTS << 3);
  memory.fill(state.pend_table, 0, <usize>PENDING_SLOTS << 3);
  state.pend_lsn = 0;
  state.pend_readWait = 0;
  state.pend_writeCommands = 0;
}

export function pending_set_lsn(lsn: f64): void {
  state.pend_lsn = lsn;
}

export function pending_run_begin(): void {
  state.pend_readWait = 0;
  state.pend_writeCommands = 0;
}

export function pending_read_wait(): f64 {
  return state.pend_readWait;
}

export function pending_write_commands(): u32 {
  return state.pend_writeCommands;
}

/** The host ran a command whose effect names the key at ptr: record `lsn` is its newest pending write. */
export function pending_note(db: u32, ptr: usize, len: usize, lsn: f64): void {
  store<f64>(slotAddress(db, hashBytes(ptr, len)), lsn);
}

/** The newest record that wrote a key of the key's slot (0: none since the reset). */
export function pending_newest(db: u32, ptr: usize, len: usize): f64 {
  return load<f64>(slotAddress(db, hashBytes(ptr, len)));
}
