// Engine snapshots: a copy of the core's linear memory, taken at a log position.
//
// The core keeps every piece of its mutable state in linear memory (the
// keyspace, the allocator's free lists, seeds, the RNG, buffer pointers: see
// core-wasm/state.ts). So a snapshot is a header plus a byte-for-byte copy of
// that memory, and a restore instantiates the same module and writes the copy
// over the fresh instance's memory. The image is the same on every host
// (Node, workerd, browsers): Wasm memory is little-endian everywhere, and the
// module's behaviour does not depend on the host.
//
// The memory layout is build-specific, so an image also carries the .wasm
// that took it (when the host loaded the core from bytes: coreBytesOf). A
// different build reads such an image through that old core: it instantiates
// it over the image and asks its snapshot_dump for every entry as portable
// records (core-wasm/keyspace.ts states their format), which portableCommands
// turns into commands for a fresh engine (Engine.fromSnapshot). An upgrade
// therefore never strands a log whose older records were trimmed away.
//
// Image layout (all integers little-endian):
//
//    0  magic          8 bytes  "TRIRSNAP"
//    8  version        u32      FORMAT_VERSION
//   12  header bytes   u32      HEADER_BYTES (where the memory starts)
//   16  build hash     32 bytes SHA-256 of the .wasm that took it (its
//                               "trireme.build" section, scripts/build.ts)
//   48  LSN            u64      the last log record the image includes
//   56  databases      u32      the engine's database count
//   60  eviction db    u32      where random eviction looks next (engine state)
//   64  memory bytes   u64      length of the memory copy, whole 64 KiB pages
//   72  memory CRC     u32      CRC32C of the memory copy
//   76  core bytes     u32      length of the .wasm after the memory (0: not carried)
//   80  core CRC       u32      CRC32C of that .wasm
//   84  reserved       8 bytes  zero
//   92  header CRC     u32      CRC32C of bytes 0..91
//   96  memory copy, then the .wasm
//
// What is refused, with a SnapshotError saying why: another magic or version,
// an image shorter or longer than its header says, a header, memory or core
// whose checksum does not match, an image taken by another build that does
// not carry its core, and a database count other than the one asked for.
//
// Taking a snapshot stops the engine for one copy of memory plus one CRC32C
// pass over it; nothing else runs in the meantime, so the image is exactly
// the state after the last command. In the background variant the engine
// stops for the copy only, and the checksum is computed over the copy while
// it serves (docs/BENCHMARKS.md has the numbers for both).
//
// The memory's checksum is computed by the core's crc32c (core-wasm/crc32c.ts)
// in place, with no second copy; the header's and the .wasm's by a bytewise
// CRC32C here, so that neither taking nor restoring an image writes to the
// core's memory: a restored memory is the image, byte for byte.

import { compileCore, coreBytesOf, loadCore, type Core, type CoreSource } from "./core.ts";
import { formatDouble } from "./numbers.ts";
import { RespWriter } from "./resp.ts";
import { utf8 } from "./bytes.ts";

export const SNAPSHOT_MAGIC = "TRIRSNAP";
export const SNAPSHOT_FORMAT_VERSION = 2;
export const SNAPSHOT_HEADER_BYTES = 96;
const BUILD_HASH_BYTES = 32;
const BUILD_SECTION = "trireme.build";
const WASM_PAGE_BYTES = 65536;
// A wasm32 memory holds at most 65536 pages (4 GiB).
const MEMORY_BYTES_MAX = 65536 * WASM_PAGE_BYTES;
// The core's crc32c takes an i32 length: checksum memory in pieces of 1 GiB.
const CRC_CHUNK_BYTES = 1 << 30;
// Background checksumming stages this much per turn of the event loop into
// its own core instance: about a millisecond of work.
const BACKGROUND_CRC_CHUNK_BYTES = 1 << 20;
// A buffer for a background image has its pages written this much per turn
// of the event loop ahead of the copy (about a millisecond of page faults).
const PREFAULT_CHUNK_BYTES = 1 << 20;
const PAGE_BYTES = 4096;

const OFFSET_VERSION = 8;
const OFFSET_HEADER_BYTES = 12;
const OFFSET_BUILD_HASH = 16;
const OFFSET_LSN = 48;
const OFFSET_DATABASES = 56;
const OFFSET_EVICTION_DB = 60;
const OFFSET_MEMORY_BYTES = 64;
const OFFSET_MEMORY_CRC = 72;
const OFFSET_CORE_BYTES = 76;
const OFFSET_CORE_CRC = 80;
const OFFSET_HEADER_CRC = 92;
// A .wasm an image carries: the core is about 50 KB; far more is not one.
const CORE_BYTES_MAX = 64 * 1024 * 1024;

/** An image that cannot be restored: corrupt, truncated, or from another build. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
}

export interface SnapshotHeader {
  readonly version: number;
  /** SHA-256 of the core build that took the image. */
  readonly buildHash: Uint8Array;
  /** The last log record the image includes (0 when none). */
  readonly lsn: number;
  readonly databases: number;
  /** Engine state outside the core: the database random eviction looks at next. */
  readonly evictionDb: number;
  readonly memoryBytes: number;
  readonly memoryCrc: number;
  /** Length of the .wasm carried after the memory (0: none). */
  readonly coreBytes: number;
  readonly coreCrc: number;
  readonly headerCrc: number;
}

const buildHashes = new WeakMap<WebAssembly.Module, Uint8Array>();

/** The build hash a module carries in its "trireme.build" custom section. */
export function buildHashOf(module: WebAssembly.Module): Uint8Array {
  let hash = buildHashes.get(module);
  if (hash === undefined) {
    const sections = WebAssembly.Module.customSections(module, BUILD_SECTION);
    if (sections.length !== 1 || sections[0]!.byteLength !== BUILD_HASH_BYTES) {
      throw new SnapshotError(`this core has no build hash (custom section "${BUILD_SECTION}"): build it with npm run build`);
    }
    hash = new Uint8Array(sections[0]!);
    buildHashes.set(module, hash);
  }
  return hash;
}

/** Engine state that lives outside the core but belongs in the image. */
export interface EngineFields {
  readonly databases: number;
  readonly evictionDb: number;
}

/**
 * Copies the core's memory into a new image covering the log up to `lsn`,
 * checksums included. Call it between commands (the engine is synchronous,
 * so any time it is not inside one); the engine is stopped for the copy and
 * one CRC32C pass over its memory.
 */
export function takeSnapshot(core: Core, lsn: number, fields: EngineFields): Uint8Array {
  const image = copyMemory(core, lsn, fields);
  return seal(image, memoryChecksum(core, memoryBytesOf(image)));
}

/**
 * The same image, stopping the engine only for the copy of its memory: the
 * checksum is then computed over the copy, a piece at a time between turns
 * of the event loop (setTimeout), by a separate instance of the core, while
 * the engine goes on serving. The image is written into the start of `into`
 * when it is large enough (imageBuffer), else into a new buffer.
 */
export async function takeSnapshotInBackground(core: Core, lsn: number, fields: EngineFields, into?: Uint8Array): Promise<Uint8Array> {
  const image = copyMemory(core, lsn, fields, into);
  const checksummer = await loadCore(core.module);
  let crc = 0;
  const end = SNAPSHOT_HEADER_BYTES + memoryBytesOf(image);
  for (let at = SNAPSHOT_HEADER_BYTES; at < end; at += BACKGROUND_CRC_CHUNK_BYTES) {
    const piece = image.subarray(at, Math.min(at + BACKGROUND_CRC_CHUNK_BYTES, end));
    crc = checksummer.x.crc32c(crc, checksummer.stage1(piece), piece.length) >>> 0;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return seal(image, crc);
}

/**
 * A buffer for an image of this core's memory as large as it is now, from
 * `allocate`, with every page of it written once, a piece per turn of the
 * event loop, before the image is taken: copying memory into a new buffer
 * stops for a page fault per 4 KiB page, most of the copy's time (for
 * 128 MiB, 66-75 ms against 11-12 ms into pages already there;
 * docs/BENCHMARKS.md), while the engine waits; so does reading the memory's
 * pages never touched since it grew, which are read here too. Memory that
 * grows meanwhile makes the image take a new buffer after all.
 */
export async function imageBuffer(core: Core, allocate: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes)): Promise<Uint8Array> {
  const bytes = imageBytes(core, core.x.memory.buffer.byteLength);
  const buffer = allocate(bytes);
  let sink = 0;
  for (let at = 0; at < bytes; at += PREFAULT_CHUNK_BYTES) {
    const end = Math.min(bytes, at + PREFAULT_CHUNK_BYTES);
    for (let page = at; page < end; page += PAGE_BYTES) buffer[page] = 0;
    // The memory's own pages that were never touched (free space since it grew) fault on the copy's first read too.
    const memory = new Uint8Array(core.x.memory.buffer);
    for (let page = at; page < Math.min(end, memory.length); page += PAGE_BYTES) sink ^= memory[page]!;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  touchedSum = sink;
  return buffer;
}

/** Where imageBuffer leaves what it read, so that the reads are not optimized away. */
let touchedSum = 0;

/** The length of an image of `memoryBytes` of this core's memory: the header, the memory, the core's own bytes. */
function imageBytes(core: Core, memoryBytes: number): number {
  return SNAPSHOT_HEADER_BYTES + memoryBytes + (coreBytesOf(core.module)?.length ?? 0);
}

/** The image with its header filled in but for the two checksums; in the start of `into` when it is large enough. */
function copyMemory(core: Core, lsn: number, fields: EngineFields, into?: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(lsn) || lsn < 0) throw new RangeError(`snapshot LSN must be a non-negative integer, got ${lsn}`);
  const x = core.x;
  if (x.ks_keylog_count() !== 0) throw new Error("snapshot inside a command: the key log is not drained");
  const buildHash = buildHashOf(core.module);
  const memoryBytes = x.snapshot_prepare();
  const wasm = coreBytesOf(core.module) ?? new Uint8Array(0);
  const bytes = imageBytes(core, memoryBytes);
  const image = into !== undefined && into.length >= bytes ? into.subarray(0, bytes) : new Uint8Array(bytes);
  image.set(new Uint8Array(x.memory.buffer, 0, memoryBytes), SNAPSHOT_HEADER_BYTES);
  image.set(wasm, SNAPSHOT_HEADER_BYTES + memoryBytes);

  const view = new DataView(image.buffer, image.byteOffset, SNAPSHOT_HEADER_BYTES);
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) image[i] = SNAPSHOT_MAGIC.charCodeAt(i);
  view.setUint32(OFFSET_VERSION, SNAPSHOT_FORMAT_VERSION, true);
  view.setUint32(OFFSET_HEADER_BYTES, SNAPSHOT_HEADER_BYTES, true);
  image.set(buildHash, OFFSET_BUILD_HASH);
  view.setBigUint64(OFFSET_LSN, BigInt(lsn), true);
  view.setUint32(OFFSET_DATABASES, fields.databases, true);
  view.setUint32(OFFSET_EVICTION_DB, fields.evictionDb, true);
  view.setBigUint64(OFFSET_MEMORY_BYTES, BigInt(memoryBytes), true);
  view.setUint32(OFFSET_CORE_BYTES, wasm.length, true);
  view.setUint32(OFFSET_CORE_CRC, crc32cBytes(wasm), true);
  return image;
}

/** The memory length an image's header (checksums not filled in yet) gives. */
function memoryBytesOf(image: Uint8Array): number {
  return Number(new DataView(image.buffer, image.byteOffset, SNAPSHOT_HEADER_BYTES).getBigUint64(OFFSET_MEMORY_BYTES, true));
}

/** Writes the memory checksum, then the header's own. */
function seal(image: Uint8Array, memoryCrc: number): Uint8Array {
  const view = new DataView(image.buffer, image.byteOffset, SNAPSHOT_HEADER_BYTES);
  view.setUint32(OFFSET_MEMORY_CRC, memoryCrc, true);
  view.setUint32(OFFSET_HEADER_CRC, crc32cBytes(image.subarray(0, OFFSET_HEADER_CRC)), true);
  return image;
}

/**
 * Reads and checks the header's own fields (magic, version, lengths) without
 * a core: what a log store needs to tell images apart. The checksums and the
 * build are checked by restoreSnapshot.
 */
export function readSnapshotHeader(image: Uint8Array): SnapshotHeader {
  if (image.length < SNAPSHOT_HEADER_BYTES) {
    throw new SnapshotError(`not a snapshot image: ${image.length} bytes is shorter than the ${SNAPSHOT_HEADER_BYTES}-byte header`);
  }
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (image[i] !== SNAPSHOT_MAGIC.charCodeAt(i)) throw new SnapshotError("not a snapshot image: bad magic");
  }
  const view = new DataView(image.buffer, image.byteOffset, SNAPSHOT_HEADER_BYTES);
  const version = view.getUint32(OFFSET_VERSION, true);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError(`snapshot format version ${version} is not supported (this runtime reads version ${SNAPSHOT_FORMAT_VERSION})`);
  }
  const headerBytes = view.getUint32(OFFSET_HEADER_BYTES, true);
  if (headerBytes !== SNAPSHOT_HEADER_BYTES) throw new SnapshotError(`snapshot header length ${headerBytes} is not ${SNAPSHOT_HEADER_BYTES}`);
  const lsn = view.getBigUint64(OFFSET_LSN, true);
  const memoryBytes = view.getBigUint64(OFFSET_MEMORY_BYTES, true);
  if (lsn > BigInt(Number.MAX_SAFE_INTEGER)) throw new SnapshotError(`snapshot LSN ${lsn} is out of range`);
  if (memoryBytes === 0n || memoryBytes > BigInt(MEMORY_BYTES_MAX) || memoryBytes % BigInt(WASM_PAGE_BYTES) !== 0n) {
    throw new SnapshotError(`snapshot memory length ${memoryBytes} is not a whole number of 64 KiB pages up to 4 GiB`);
  }
  const coreBytes = view.getUint32(OFFSET_CORE_BYTES, true);
  if (coreBytes > CORE_BYTES_MAX) throw new SnapshotError(`snapshot says it carries a ${coreBytes}-byte core: more than a core is`);
  const expected = SNAPSHOT_HEADER_BYTES + Number(memoryBytes) + coreBytes;
  if (image.length !== expected) {
    throw new SnapshotError(
      image.length < expected
        ? `snapshot image is truncated: ${image.length} bytes of ${expected}`
        : `snapshot image has ${image.length - expected} bytes after its end`,
    );
  }
  return {
    version,
    buildHash: image.slice(OFFSET_BUILD_HASH, OFFSET_BUILD_HASH + BUILD_HASH_BYTES),
    lsn: Number(lsn),
    databases: view.getUint32(OFFSET_DATABASES, true),
    evictionDb: view.getUint32(OFFSET_EVICTION_DB, true),
    memoryBytes: Number(memoryBytes),
    memoryCrc: view.getUint32(OFFSET_MEMORY_CRC, true),
    coreBytes,
    coreCrc: view.getUint32(OFFSET_CORE_CRC, true),
    headerCrc: view.getUint32(OFFSET_HEADER_CRC, true),
  };
}

/** An intact image taken by another build of the core (Engine.fromSnapshot converts it when it carries its core). */
export class OtherBuildSnapshotError extends SnapshotError {
  override name = "OtherBuildSnapshotError";
}

/**
 * A new core holding exactly the image's state: a fresh instance of `source`
 * with the image written over its memory. Throws SnapshotError (and drops
 * the instance) if the image is not intact, and OtherBuildSnapshotError if
 * another build took it.
 */
export async function restoreSnapshot(source: CoreSource, image: Uint8Array): Promise<{ core: Core; header: SnapshotHeader }> {
  const header = checkedHeader(image);
  const module = source instanceof WebAssembly.Module ? source : await compileCore(source);
  requireSameBuild(module, header);
  return { core: await coreOverImage(module, header, image), header };
}

/**
 * Writes an image of the same build over a live core, in place, for an
 * engine that others hold on to (a follower behind a trimmed log). The image
 * is first checked in a fresh instance, so a bad one leaves the live core as
 * it was; `stillWanted` is asked after that check, and when it says no,
 * nothing is written (null). Memory past the image's end is zeroed: the
 * image's allocator never reaches it (it grows past it if it needs more).
 */
export async function restoreSnapshotInto(
  core: Core, image: Uint8Array, databases: number, stillWanted: () => boolean,
): Promise<SnapshotHeader | null> {
  const header = checkedHeader(image);
  requireSameBuild(core.module, header);
  if (header.databases !== databases) throw new SnapshotError(`snapshot has ${header.databases} databases, this engine ${databases}`);
  await coreOverImage(core.module, header, image);
  if (!stillWanted()) return null;
  growTo(core, header.memoryBytes);
  const live = core.u8();
  live.set(image.subarray(SNAPSHOT_HEADER_BYTES, SNAPSHOT_HEADER_BYTES + header.memoryBytes));
  live.fill(0, header.memoryBytes);
  // The same bytes passed this check in the fresh instance.
  if (core.x.snapshot_restored() !== 1) throw new Error("snapshot: the image passed its checks but the live core does not accept it");
  return header;
}

/** Refuses, as OtherBuildSnapshotError, an image another build than `module` took. */
function requireSameBuild(module: WebAssembly.Module, header: SnapshotHeader): void {
  const buildHash = buildHashOf(module);
  if (sameBytes(buildHash, header.buildHash)) return;
  throw new OtherBuildSnapshotError(
    `snapshot was taken by another build of the core (${hex(header.buildHash)}), this is ${hex(buildHash)}` +
      (header.coreBytes === 0 ? " and it does not carry its core" : ""),
  );
}

/** Grows the core's memory to at least `bytes` (whole pages). */
function growTo(core: Core, bytes: number): void {
  const memory = core.x.memory;
  const pagesNow = memory.buffer.byteLength / WASM_PAGE_BYTES;
  const pagesWanted = bytes / WASM_PAGE_BYTES;
  if (pagesWanted <= pagesNow) return;
  try {
    memory.grow(pagesWanted - pagesNow);
  } catch (error) {
    throw new SnapshotError(`cannot grow the core's memory to the snapshot's ${bytes} bytes: ${String(error)}`);
  }
}

function checkedHeader(image: Uint8Array): SnapshotHeader {
  const header = readSnapshotHeader(image);
  if (crc32cBytes(image.subarray(0, OFFSET_HEADER_CRC)) !== header.headerCrc) {
    throw new SnapshotError("snapshot header checksum mismatch: the header is corrupt");
  }
  return header;
}

/** A fresh instance of `module` (the build that took the image) with the image's memory, checked. */
async function coreOverImage(module: WebAssembly.Module, header: SnapshotHeader, image: Uint8Array): Promise<Core> {
  const core = await loadCore(module);
  if (header.memoryBytes < core.x.memory.buffer.byteLength) {
    throw new SnapshotError(`snapshot memory (${header.memoryBytes} bytes) is smaller than a fresh core's`);
  }
  growTo(core, header.memoryBytes);
  core.u8().set(image.subarray(SNAPSHOT_HEADER_BYTES, SNAPSHOT_HEADER_BYTES + header.memoryBytes));
  if (memoryChecksum(core, header.memoryBytes) !== header.memoryCrc) {
    throw new SnapshotError("snapshot memory checksum mismatch: the image is corrupt");
  }
  if (core.x.snapshot_restored() !== 1) {
    throw new SnapshotError("snapshot memory holds no consistent core state for this build");
  }
  if (core.x.ks_db_count() !== header.databases) {
    throw new SnapshotError(`snapshot header says ${header.databases} databases, its memory holds ${core.x.ks_db_count()}`);
  }
  return core;
}

/** Output bytes asked of snapshot_dump per call, and RESP handed over per run. */
const DUMP_BUDGET_BYTES = 1 << 20;
/** Elements per command when a collection is rebuilt (RPUSH, SADD, HSET, ZADD). */
const ELEMENTS_PER_COMMAND = 1024;
const DUMP_EXPIRY_FLAG = 0x100;

/**
 * The state of an image, whatever build took it, as commands: the image's
 * own core (the .wasm it carries) is instantiated over its memory and dumps
 * every entry (core-wasm/keyspace.ts, snapshot_dump), and each entry becomes
 * commands that rebuild it (SET, RPUSH, SADD, HSET or ZADD, then PEXPIREAT),
 * handed to `onRun` a database's run of about a MiB at a time. Throws
 * SnapshotError for an image that is not intact or carries no core.
 */
export async function portableCommands(image: Uint8Array, onRun: (db: number, resp: Uint8Array) => void): Promise<SnapshotHeader> {
  const header = checkedHeader(image);
  if (header.coreBytes === 0) throw new SnapshotError("snapshot does not carry the core that took it");
  const at = SNAPSHOT_HEADER_BYTES + header.memoryBytes;
  const wasm = image.slice(at, at + header.coreBytes);
  if (crc32cBytes(wasm) !== header.coreCrc) throw new SnapshotError("snapshot core checksum mismatch: the image is corrupt");
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(wasm);
  } catch (error) {
    throw new SnapshotError(`the core the snapshot carries does not compile: ${String(error)}`);
  }
  if (!sameBytes(buildHashOf(module), header.buildHash)) throw new SnapshotError("the core the snapshot carries is not the build that took it");
  const old = await coreOverImage(module, header, image);
  if (typeof old.x.snapshot_dump !== "function") throw new SnapshotError("the core that took the snapshot cannot dump it (no snapshot_dump)");
  const out = new RespWriter(DUMP_BUDGET_BYTES + 64 * 1024);
  for (let db = 0; db < header.databases; db++) {
    let cursor = 0;
    do {
      cursor = old.x.snapshot_dump(db, cursor, DUMP_BUDGET_BYTES) >>> 0;
      const records = old.bytes(old.x.io_out_ptr(), old.x.io_out_len());
      writeCommands(records, out);
      if (out.length >= DUMP_BUDGET_BYTES) onRun(db, out.takeView());
    } while (cursor !== 0);
    if (out.length > 0) onRun(db, out.takeView());
  }
  return header;
}

/** snapshot_dump's records (their format: core-wasm/keyspace.ts) as commands. */
function writeCommands(records: Uint8Array, out: RespWriter): void {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let at = 0;
  const u32 = (): number => {
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const bytes = (): Uint8Array => {
    const n = u32();
    if (at + n > records.length) throw new SnapshotError("snapshot dump record runs past its end");
    const b = records.subarray(at, at + n);
    at += n;
    return b;
  };
  const command = (name: Uint8Array, key: Uint8Array, args: Uint8Array[]): void => {
    out.raw(utf8(`*${2 + args.length}\r\n`));
    out.bulk(name);
    out.bulk(key);
    for (const a of args) out.bulk(a);
  };
  /** A collection's elements, ELEMENTS_PER_COMMAND at a time; `take` reads one element's arguments. */
  const collection = (name: Uint8Array, key: Uint8Array, take: () => Uint8Array[]): void => {
    let left = u32();
    while (left > 0) {
      const args: Uint8Array[] = [];
      for (let i = 0; i < ELEMENTS_PER_COMMAND && left > 0; i++, left--) args.push(...take());
      command(name, key, args);
    }
  };
  while (at < records.length) {
    const word = u32();
    let expireAt: bigint | null = null;
    if ((word & DUMP_EXPIRY_FLAG) !== 0) {
      expireAt = view.getBigInt64(at, true);
      at += 8;
    }
    const key = bytes();
    switch (word & 0xff) {
      case 0: command(SET, key, [bytes()]); break;
      case 1: collection(RPUSH, key, () => [bytes()]); break;
      case 2: collection(SADD, key, () => [bytes()]); break;
      case 3: collection(ZADD, key, () => {
        const member = bytes();
        const score = view.getFloat64(at, true);
        at += 8;
        return [utf8(formatDouble(score)), member];
      }); break;
      case 4: collection(HSET, key, () => [bytes(), bytes()]); break;
      default: throw new SnapshotError(`snapshot holds a value of type ${word & 0xff}, which this build does not know`);
    }
    if (expireAt !== null) command(PEXPIREAT, key, [utf8(expireAt.toString())]);
  }
}

const SET = utf8("SET");
const RPUSH = utf8("RPUSH");
const SADD = utf8("SADD");
const ZADD = utf8("ZADD");
const HSET = utf8("HSET");
const PEXPIREAT = utf8("PEXPIREAT");

/** CRC32C of the first `bytes` of the core's memory. */
function memoryChecksum(core: Core, bytes: number): number {
  let crc = 0;
  for (let at = 0; at < bytes; at += CRC_CHUNK_BYTES) {
    crc = core.x.crc32c(crc, at, Math.min(CRC_CHUNK_BYTES, bytes - at)) >>> 0;
  }
  return crc;
}

let crcTable: Uint32Array | undefined;

/** CRC32C (the core's, core-wasm/crc32c.ts), bytewise: for the header's few bytes. */
export function crc32cBytes(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes.subarray(0, 8)) s += b.toString(16).padStart(2, "0");
  return `${s}…`;
}
