// Log records and their framing.
//
// A log record is one unit of replay: its log sequence number (LSN, from 1,
// consecutive), the epoch of the primary that wrote it, and a payload (the
// engine's effect records, see payload.ts; the log itself treats it as opaque
// bytes). On disk, on the wire and in every backend a record travels as a
// frame, little-endian:
//
//    0        4        8                16       20
//   +--------+--------+----------------+--------+----------------------+
//   | length | crc32c |      lsn       | epoch  |  payload ...         |
//   |  u32   |  u32   |      u64       |  u32   |  length - 12 bytes   |
//   +--------+--------+----------------+--------+----------------------+
//
//   length  bytes after the 8-byte prefix: the 12-byte header plus the payload
//   crc32c  CRC32C of bytes [0, 4) (the length) followed by [8, 8 + length)
//           (header and payload): everything but the checksum itself, so a
//           damaged length is caught as surely as a damaged payload
//
// Frames are concatenated with no padding; a segment file, an HTTP read and a
// WebSocket message are each a run of whole frames.
//
// LSNs are u64 on the wire and JavaScript numbers here: a log would need
// 2^53 records (a million per second for 285 years) to leave the safe range,
// and a frame that claims an LSN beyond it is treated as corrupt.
//
// Decoding reads a run of frames and stops at the first one that is not
// whole and valid: cut short (a torn write), a length out of bounds, a
// checksum mismatch, or (when asked) an LSN that does not follow its
// predecessor or an epoch that goes backwards. It reports where the last valid
// frame ends, so a store can cut its log there; nothing after a bad frame is
// ever returned, because nothing after it can be trusted to be in order.

import type { Crc32c } from "./crc32c.ts";
import { readU32, writeU32 } from "../bytes.ts";

/** Bytes before the header: length and checksum. */
export const FRAME_PREFIX_BYTES = 8;
/** Bytes of the header after the prefix: lsn and epoch. */
export const FRAME_HEADER_BYTES = 12;
/** Bytes of a frame with an empty payload. */
export const FRAME_OVERHEAD_BYTES = FRAME_PREFIX_BYTES + FRAME_HEADER_BYTES;
/** Default bound on one frame (header and payload), bytes; a larger length is corruption. */
export const FRAME_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

const TWO_POW_32 = 0x1_0000_0000;

export interface LogRecord {
  readonly lsn: number;
  readonly epoch: number;
  readonly payload: Uint8Array;
}

/** Where a valid frame sits in a buffer. */
export interface FrameInfo {
  readonly lsn: number;
  readonly epoch: number;
  /** Offset of the frame's first byte. */
  readonly offset: number;
  /** Whole frame, prefix included. */
  readonly bytes: number;
}

export type FrameFaultKind =
  /** The buffer ends inside the frame: a write that did not complete. */
  | "torn"
  /** The length field is below the header size or above the limit. */
  | "length"
  /** The checksum does not match the bytes. */
  | "checksum"
  /** The LSN does not follow the previous one, or the epoch went backwards. */
  | "sequence";

export interface FrameFault {
  readonly kind: FrameFaultKind;
  /** Offset of the bad frame: where the valid bytes end. */
  readonly offset: number;
  readonly message: string;
}

export interface FrameScan {
  readonly frames: FrameInfo[];
  /** Offset just past the last valid frame. */
  readonly validEnd: number;
  /** Why scanning stopped before the end of the buffer; undefined when every byte was valid. */
  readonly fault: FrameFault | undefined;
}

export interface ScanOptions {
  /** Largest length field accepted (header and payload), bytes. */
  frameBytesMax?: number;
  /** When set, the first frame must carry this LSN and each next one the LSN after. */
  expectLsn?: number;
  /** When set, epochs must not go below this, and must not decrease from frame to frame. */
  minEpoch?: number;
}

function checkLsn(lsn: number): void {
  if (!Number.isSafeInteger(lsn) || lsn < 1) throw new RangeError(`LSN out of range: ${lsn}`);
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch >= TWO_POW_32) throw new RangeError(`epoch out of range: ${epoch}`);
}

/** Bytes the frame of a payload of `payloadBytes` takes. */
export function frameBytes(payloadBytes: number): number {
  return FRAME_OVERHEAD_BYTES + payloadBytes;
}

/** Writes the frame of one record at `at` in `out` (which must have room) and returns the offset after it. */
export function writeFrame(out: Uint8Array, at: number, record: LogRecord, crc32c: Crc32c): number {
  return writeFrameOf(out, at, record.lsn, record.epoch, record.payload, crc32c);
}

function writeFrameOf(out: Uint8Array, at: number, lsn: number, epoch: number, payload: Uint8Array, crc32c: Crc32c): number {
  checkLsn(lsn);
  checkEpoch(epoch);
  const length = FRAME_HEADER_BYTES + payload.length;
  writeU32(out, at, length);
  writeU32(out, at + 8, lsn % TWO_POW_32);
  writeU32(out, at + 12, Math.floor(lsn / TWO_POW_32));
  writeU32(out, at + 16, epoch);
  out.set(payload, at + FRAME_OVERHEAD_BYTES);
  writeU32(out, at + 4, frameChecksum(out, at, length, crc32c));
  return at + FRAME_PREFIX_BYTES + length;
}

function frameChecksum(b: Uint8Array, at: number, length: number, crc32c: Crc32c): number {
  const c = crc32c(b.subarray(at, at + 4));
  return crc32c(b.subarray(at + FRAME_PREFIX_BYTES, at + FRAME_PREFIX_BYTES + length), c);
}

/** The frames of `records`, concatenated. */
export function encodeFrames(records: readonly LogRecord[], crc32c: Crc32c): Uint8Array {
  let total = 0;
  for (const r of records) total += frameBytes(r.payload.length);
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of records) at = writeFrame(out, at, r, crc32c);
  return out;
}

/** The frame of one record (the primary seals one per command or native run, so no record object is made for it). */
export function encodeFrame(lsn: number, epoch: number, payload: Uint8Array, crc32c: Crc32c): Uint8Array {
  const out = new Uint8Array(frameBytes(payload.length));
  writeFrameOf(out, 0, lsn, epoch, payload, crc32c);
  return out;
}

/**
 * Reads frames from `bytes` until the end or the first frame that is not
 * whole and valid; see the file comment. Payloads are not copied.
 */
export function scanFrames(bytes: Uint8Array, crc32c: Crc32c, options: ScanOptions = {}): FrameScan {
  const frameBytesMax = options.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT;
  let expectLsn = options.expectLsn;
  let minEpoch = options.minEpoch;
  const frames: FrameInfo[] = [];
  let at = 0;
  const fail = (kind: FrameFaultKind, message: string): FrameScan =>
    ({ frames, validEnd: at, fault: { kind, offset: at, message } });
  while (at < bytes.length) {
    if (bytes.length - at < FRAME_PREFIX_BYTES) {
      return fail("torn", `${bytes.length - at} bytes at offset ${at} are less than a frame's prefix`);
    }
    const length = readU32(bytes, at);
    if (length < FRAME_HEADER_BYTES || length > frameBytesMax) {
      return fail("length", `frame at offset ${at} claims ${length} bytes (allowed ${FRAME_HEADER_BYTES}..${frameBytesMax})`);
    }
    if (bytes.length - at - FRAME_PREFIX_BYTES < length) {
      return fail("torn", `frame at offset ${at} needs ${length} bytes after its prefix, ${bytes.length - at - FRAME_PREFIX_BYTES} remain`);
    }
    const stored = readU32(bytes, at + 4);
    const actual = frameChecksum(bytes, at, length, crc32c);
    if (stored !== actual) {
      return fail("checksum", `frame at offset ${at}: checksum ${hex(stored)} stored, ${hex(actual)} computed`);
    }
    const hi = readU32(bytes, at + 12);
    const lsn = hi * TWO_POW_32 + readU32(bytes, at + 8);
    const epoch = readU32(bytes, at + 16);
    if (!Number.isSafeInteger(lsn) || lsn < 1) return fail("sequence", `frame at offset ${at}: LSN out of range`);
    if (expectLsn !== undefined && lsn !== expectLsn) {
      return fail("sequence", `frame at offset ${at}: LSN ${lsn} where ${expectLsn} was expected`);
    }
    if (minEpoch !== undefined && epoch < minEpoch) {
      return fail("sequence", `frame at offset ${at}: epoch ${epoch} after epoch ${minEpoch}`);
    }
    const total = FRAME_PREFIX_BYTES + length;
    frames.push({ lsn, epoch, offset: at, bytes: total });
    at += total;
    if (expectLsn !== undefined) expectLsn = lsn + 1;
    if (minEpoch !== undefined) minEpoch = epoch;
  }
  return { frames, validEnd: at, fault: undefined };
}

/** The payload of a frame found by scanFrames (a view, not a copy). */
export function framePayload(bytes: Uint8Array, frame: FrameInfo): Uint8Array {
  return bytes.subarray(frame.offset + FRAME_OVERHEAD_BYTES, frame.offset + frame.bytes);
}

export interface RecordScan {
  readonly records: LogRecord[];
  readonly validEnd: number;
  readonly fault: FrameFault | undefined;
}

/** Decodes the records of a run of frames, stopping at the first bad one (see scanFrames). */
export function decodeFrames(bytes: Uint8Array, crc32c: Crc32c, options: ScanOptions = {}): RecordScan {
  const scan = scanFrames(bytes, crc32c, options);
  return {
    records: scan.frames.map((f) => ({ lsn: f.lsn, epoch: f.epoch, payload: framePayload(bytes, f) })),
    validEnd: scan.validEnd,
    fault: scan.fault,
  };
}

function hex(v: number): string {
  return "0x" + v.toString(16).padStart(8, "0");
}
