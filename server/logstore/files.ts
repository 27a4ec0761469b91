// On-disk formats of the Node log store: segment headers, snapshot headers,
// the promise file, and the fsync helpers. file-backend.ts holds the logic.
//
// A store's data folder:
//
//   DIR/log/00000000000000000000.seg     segments, named by base LSN (20 digits)
//   DIR/snapshots/00000000000000001234.snap
//   DIR/promise                          the promised epoch and candidate
//
// A segment is a 32-byte header followed by frames (runtime/log/frame.ts):
//
//    0          8           16       20       24       28       32
//   +----------+-----------+--------+--------+--------+--------+--------...
//   | TRLOGSG1 | base lsn  | base   | flags  | header |   0    | frames
//   |  magic   |   u64     | epoch  |  u32   | crc32c |        |
//   +----------+-----------+--------+--------+--------+--------+--------...
//
// The base is the LSN (and its epoch) of the record just before the segment's
// first: a segment holds records base+1, base+2, ... A segment whose header
// has FLAG_RESET starts a new log after a snapshot: segments before it are
// obsolete, and recovery deletes any that a crash left behind.
//
// A snapshot file is a 40-byte header and the snapshot's bytes:
//
//    0          8           16       20       24           32       36       40
//   +----------+-----------+--------+--------+------------+--------+--------+-----...
//   | TRSNAP01 | lsn u64   | epoch  | data   | data bytes | header |   0    | data
//   |  magic   |           |  u32   | crc32c |    u64     | crc32c |        |
//   +----------+-----------+--------+--------+------------+--------+--------+-----...
//
// Files that must appear whole (snapshots, the promise) are written to a
// temporary name, fsync'd, renamed, and the folder fsync'd.

import * as fs from "node:fs";
import { join } from "node:path";
import type { Crc32c } from "../../runtime/log/crc32c.ts";

export const SEGMENT_HEADER_BYTES = 32;
export const SNAPSHOT_HEADER_BYTES = 40;
export const FLAG_RESET = 1;
const SEGMENT_MAGIC = "TRLOGSG1";
const SNAPSHOT_MAGIC = "TRSNAP01";
const TWO_POW_32 = 0x1_0000_0000;

export interface SegmentHeader {
  base: number;
  baseEpoch: number;
  flags: number;
}

export interface SnapshotHeader {
  lsn: number;
  epoch: number;
  crc32c: number;
  bytes: number;
}

function writeMagic(b: Buffer, magic: string): void {
  b.write(magic, 0, "latin1");
}

function writeU64(b: Buffer, at: number, v: number): void {
  b.writeUInt32LE(v % TWO_POW_32, at);
  b.writeUInt32LE(Math.floor(v / TWO_POW_32), at + 4);
}

function readU64(b: Buffer, at: number): number {
  return b.readUInt32LE(at + 4) * TWO_POW_32 + b.readUInt32LE(at);
}

export function encodeSegmentHeader(h: SegmentHeader, crc32c: Crc32c): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  writeMagic(b, SEGMENT_MAGIC);
  writeU64(b, 8, h.base);
  b.writeUInt32LE(h.baseEpoch, 16);
  b.writeUInt32LE(h.flags, 20);
  b.writeUInt32LE(crc32c(b.subarray(0, 24)), 24);
  return b;
}

/** The header, or null when it is short, has the wrong magic or fails its checksum. */
export function decodeSegmentHeader(b: Buffer, crc32c: Crc32c): SegmentHeader | null {
  if (b.length < SEGMENT_HEADER_BYTES || b.toString("latin1", 0, 8) !== SEGMENT_MAGIC) return null;
  if (b.readUInt32LE(24) !== crc32c(b.subarray(0, 24))) return null;
  const base = readU64(b, 8);
  if (!Number.isSafeInteger(base)) return null;
  return { base, baseEpoch: b.readUInt32LE(16), flags: b.readUInt32LE(20) };
}

export function encodeSnapshotHeader(h: SnapshotHeader, crc32c: Crc32c): Buffer {
  const b = Buffer.alloc(SNAPSHOT_HEADER_BYTES);
  writeMagic(b, SNAPSHOT_MAGIC);
  writeU64(b, 8, h.lsn);
  b.writeUInt32LE(h.epoch, 16);
  b.writeUInt32LE(h.crc32c, 20);
  writeU64(b, 24, h.bytes);
  b.writeUInt32LE(crc32c(b.subarray(0, 32)), 32);
  return b;
}

export function decodeSnapshotHeader(b: Buffer, crc32c: Crc32c): SnapshotHeader | null {
  if (b.length < SNAPSHOT_HEADER_BYTES || b.toString("latin1", 0, 8) !== SNAPSHOT_MAGIC) return null;
  if (b.readUInt32LE(32) !== crc32c(b.subarray(0, 32))) return null;
  return { lsn: readU64(b, 8), epoch: b.readUInt32LE(16), crc32c: b.readUInt32LE(20), bytes: readU64(b, 24) };
}

export function segmentName(base: number): string {
  return `${String(base).padStart(20, "0")}.seg`;
}

export function snapshotName(lsn: number): string {
  return `${String(lsn).padStart(20, "0")}.snap`;
}

/** The base LSN in a segment or snapshot file name, or null for other files. */
export function parseNumberedName(name: string, extension: ".seg" | ".snap"): number | null {
  if (!name.endsWith(extension)) return null;
  const digits = name.slice(0, -extension.length);
  if (!/^\d{20}$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

/** fsync of a folder, so that files created, renamed or deleted in it stay so. */
export async function fsyncDir(path: string): Promise<void> {
  const handle = await fs.promises.open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function fsyncDirSync(path: string): void {
  const fd = fs.openSync(path, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A file written by writeFileAtomic is synced every this many bytes. */
const SYNC_EVERY_BYTES = 4 * 1024 * 1024;

/** Writes `parts` to `path` as one file that appears whole or not at all. */
export async function writeFileAtomic(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const handle = await fs.promises.open(tmp, "w");
  try {
    let unsynced = 0;
    for (const p of parts) {
      let at = 0;
      while (at < p.length) {
        const written = (await handle.write(p, at, Math.min(p.length - at, SYNC_EVERY_BYTES))).bytesWritten;
        at += written;
        unsynced += written;
        // A large file (a snapshot) is synced as it goes, like Redis's rdb-save-incremental-fsync: ext4
        // writes a file's dirty data out before it commits its journal, and a log segment's fdatasync
        // that commits the journal waited for all of it (60-80 ms for 128 MiB with three stores at once).
        if (unsynced >= SYNC_EVERY_BYTES) {
          await handle.datasync();
          unsynced = 0;
        }
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, path);
  await fsyncDir(join(path, ".."));
}

/** Writes all of `data` at `position` (positional writes may be partial). */
export function writeAllSync(fd: number, data: Uint8Array, position: number): void {
  let at = 0;
  while (at < data.length) at += fs.writeSync(fd, data, at, data.length - at, position + at);
}

/** Reads `length` bytes at `position`, fewer only at the end of the file. */
export function readSync(fd: number, length: number, position: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  let at = 0;
  while (at < length) {
    const n = fs.readSync(fd, b, at, length - at, position + at);
    if (n === 0) break;
    at += n;
  }
  return at === length ? b : b.subarray(0, at);
}
