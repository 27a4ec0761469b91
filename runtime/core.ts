// The host side of the Wasm core: loading it, and moving bytes across.
//
// The core is one WebAssembly module with no imports. Every host (Node,
// workerd, browsers) compiles the same .wasm and hands the Module or its bytes
// to `loadCore`. Arguments go in through the scratch region (`stage`),
// results come back by pointer and length (`bytes`), through the control
// block, or through the output buffer (`OutputReader`).
//
// memory.grow detaches every view of the old buffer, silently: a detached view
// has length 0 and writes into it do nothing. So views are never cached across
// a call into the core: `u8()` re-takes the view whenever the buffer changed.

/** Functions of the core's keyspace and I/O modules; value-type modules declare their own. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  mem_used(): number;
  mem_total(): number;
  io_ctl(): number;
  io_scratch(size: number): number;
  io_out_ptr(): number;
  io_out_len(): number;

  ks_init(dbCount: number, seedLow: number, seedHigh: number): void;
  ks_db_count(): number;
  ks_set_replaying(on: number): void;
  ks_set_hide_expired(on: number): void;
  ks_clock(nowMs: number): void;
  ks_entry_type(e: number): number;
  ks_entry_encoding(e: number): number;
  ks_entry_key(e: number): number;
  ks_entry_keylen(e: number): number;
  ks_entry_strptr(e: number): number;
  ks_entry_strlen(e: number): number;
  ks_entry_object(e: number): number;
  ks_entry_idle_seconds(e: number): number;
  ks_entry_set_object(e: number, obj: number, enc: number): void;
  ks_entry_set_encoding(e: number, enc: number): void;
  ks_keylog_ptr(): number;
  ks_keylog_len(): number;
  ks_keylog_count(): number;
  ks_keylog_reset(): void;
  ks_set_log_new_keys(on: number): void;
  ks_find(db: number, kptr: number, klen: number, flags: number): number;
  ks_peek(db: number, kptr: number, klen: number): number;
  ks_add_object(db: number, kptr: number, klen: number, type: number, enc: number, obj: number): number;
  ks_set_string(db: number, kptr: number, klen: number, vptr: number, vlen: number, keepTtl: number): number;
  ks_string_grow(db: number, kptr: number, klen: number, vlen: number): number;
  ks_string_resize(db: number, e: number, vlen: number): number;
  ks_delete(db: number, kptr: number, klen: number): number;
  ks_delete_entry(db: number, e: number): void;
  ks_set_expire(db: number, e: number, at: number): void;
  ks_get_expire(db: number, e: number): number;
  /** Exact i64 expiry (Unix ms) as a BigInt. */
  ks_set_expire_i64(db: number, e: number, at: bigint): void;
  /** Exact i64 expiry (Unix ms) as a BigInt, -1n when none. */
  ks_get_expire_i64(db: number, e: number): bigint;
  ks_persist(db: number, e: number): number;
  ks_expire_cycle(db: number, samples: number): number;
  ks_expires_count(db: number): number;
  ks_evict_score(): number;
  ks_evict_candidate(db: number, policy: number, samples: number): number;
  ks_evict(db: number, e: number): void;
  ks_dbsize(db: number): number;
  ks_flush(db: number): void;
  ks_swap(a: number, b: number): void;
  ks_rehash(db: number, steps: number): number;
  ks_random_key(db: number): number;
  ks_scan(db: number, cursor: number, count: number): number;
  ks_keys(db: number): number;
  ks_move_entry(srcDb: number, e: number, dstDb: number, kptr: number, klen: number): number;
  ks_copy_entry(srcDb: number, e: number, dstDb: number, kptr: number, klen: number): number;

  /** A uniform random number in [0, 1) from the core's seeded generator. */
  random_f64(): number;
  /** CRC32C of `len` bytes at `ptr`, continuing `crc` (0 to start); an i32, so `>>> 0` it. */
  crc32c(crc: number, ptr: number, len: number): number;
  /** A durable primary's pending writes (core-wasm/pending.ts). */
  pending_reset(): void;
  pending_run_begin(): void;
  pending_read_wait(): number;
  pending_write_commands(): number;
  pending_note(db: number, ptr: number, len: number, lsn: number): void;
  pending_newest(db: number, ptr: number, len: number): number;
  /** The state block (core-wasm/state.ts). */
  state_ptr(): number;
  state_bytes(): number;
  /** Records what lives outside memory into the state block; returns the memory's byte length. */
  snapshot_prepare(): number;
  /** 1 when a just-written image is a consistent core for this instance. */
  snapshot_restored(): number;
  /** Records of database `db`'s entries from SCAN cursor `cursor`, about `budget` bytes, in the output; the next cursor (0: done). */
  snapshot_dump(db: number, cursor: number, budget: number): number;
}

/** Value types as the core numbers them (core-wasm/types.ts). */
export const ValueType = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
} as const;
export type ValueTypeCode = (typeof ValueType)[keyof typeof ValueType];

export const TYPE_NAMES = ["string", "list", "set", "zset", "hash"] as const;

/** ks_find flags. */
export const LOOKUP_NOTOUCH = 1;

const CTL_I32_SLOTS = 16;

export type CoreSource = WebAssembly.Module | BufferSource;

// The .wasm bytes each module was compiled from, where a host gave bytes:
// snapshots carry them, so that a later build can still read the image
// (runtime/snapshot.ts). A host that hands over a compiled Module (workerd's
// wasm imports) gives none, and its snapshots restore on the same build only.
const sourceBytes = new WeakMap<WebAssembly.Module, Uint8Array>();

/** The module compiled from `bytes`, remembering them for coreBytesOf. */
export async function compileCore(bytes: BufferSource): Promise<WebAssembly.Module> {
  const module = await WebAssembly.compile(bytes);
  sourceBytes.set(module, bytesOf(bytes));
  return module;
}

/** The bytes `module` was compiled from, if a host gave them. */
export function coreBytesOf(module: WebAssembly.Module): Uint8Array | undefined {
  return sourceBytes.get(module);
}

function bytesOf(source: BufferSource): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return new Uint8Array(source);
}

export async function loadCore(source: CoreSource): Promise<Core> {
  const module = source instanceof WebAssembly.Module ? source : await compileCore(source);
  return new Core(await WebAssembly.instantiate(module, {}), module);
}

export class Core {
  readonly x: CoreExports;
  /** Pointers of the parts of the last `stage` call (entries past its parts are stale). */
  readonly at: number[] = [];
  private view: Uint8Array;
  private data: DataView;
  private readonly ctl: number;

  readonly instance: WebAssembly.Instance;
  /** The compiled module this instance came from (snapshots name its build). */
  readonly module: WebAssembly.Module;

  constructor(instance: WebAssembly.Instance, module: WebAssembly.Module) {
    this.instance = instance;
    this.module = module;
    this.x = instance.exports as unknown as CoreExports;
    this.view = new Uint8Array(this.x.memory.buffer);
    this.data = new DataView(this.x.memory.buffer);
    this.ctl = this.x.io_ctl();
  }

  /** The exports of a value-type module, typed by the caller. */
  exportsAs<T>(): T {
    return this.instance.exports as unknown as T;
  }

  /** A view of all of linear memory, valid until the next call into the core. */
  u8(): Uint8Array {
    if (this.view.buffer !== this.x.memory.buffer) {
      this.view = new Uint8Array(this.x.memory.buffer);
      this.data = new DataView(this.x.memory.buffer);
    }
    return this.view;
  }

  dataView(): DataView {
    this.u8();
    return this.data;
  }

  /**
   * Copies the parts into the scratch region, one after another, and sets
   * `at[i]` to the pointer of part i. Returns the pointer of the first part.
   * Valid until the next `stage`.
   */
  stage(...parts: Uint8Array[]): number {
    let total = 0;
    for (const p of parts) total += p.length;
    const base = this.x.io_scratch(total);
    const mem = this.u8();
    let ptr = base;
    // Grown, never shrunk: setting an array's length takes a slow path in V8. Only at[0..parts.length) is this call's.
    while (this.at.length < parts.length) this.at.push(0);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      mem.set(p, ptr);
      this.at[i] = ptr;
      ptr += p.length;
    }
    return base;
  }

  /** Stages one byte string and returns its pointer. */
  stage1(part: Uint8Array): number {
    const base = this.x.io_scratch(part.length);
    this.u8().set(part, base);
    return base;
  }

  /** A copy of `len` bytes at `ptr`. */
  bytes(ptr: number, len: number): Uint8Array {
    return this.u8().slice(ptr, ptr + len);
  }

  ctlI32(slot: number): number {
    return this.dataView().getInt32(this.ctl + slot * 4, true);
  }

  ctlF64(slot: number): number {
    return this.dataView().getFloat64(this.ctl + CTL_I32_SLOTS * 4 + slot * 8, true);
  }

  /** The key of an entry, copied out. */
  entryKey(e: number): Uint8Array {
    return this.bytes(this.x.ks_entry_key(e), this.x.ks_entry_keylen(e));
  }

  /** The value of a string entry, copied out. */
  entryString(e: number): Uint8Array {
    return this.bytes(this.x.ks_entry_strptr(e), this.x.ks_entry_strlen(e));
  }

  /** A reader over what the last call wrote to the output buffer. */
  output(): OutputReader {
    return new OutputReader(this, this.x.io_out_ptr(), this.x.io_out_len());
  }
}

/** Reads records the core wrote with out_u32 / out_f64 / out_bytes. */
export class OutputReader {
  private pos: number;
  private readonly end: number;
  private readonly core: Core;

  constructor(core: Core, ptr: number, len: number) {
    this.core = core;
    this.pos = ptr;
    this.end = ptr + len;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  u32(): number {
    const v = this.core.dataView().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.core.dataView().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-prefixed byte string, copied out. */
  bytes(): Uint8Array {
    const len = this.u32();
    const v = this.core.u8().slice(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
}
