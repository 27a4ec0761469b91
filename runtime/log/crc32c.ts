// CRC32C for any host, computed by the Wasm core (core-wasm/crc32c.ts).
//
// The checksum lives in the core so that every host (Node, workerd, browsers)
// runs the same code at the same speed. The wrapper stages the input into the
// core's scratch region in pieces of CHUNK_BYTES, so checksumming a large
// snapshot never grows linear memory by more than one chunk, and chains the
// pieces (crc32c takes the running CRC of the previous piece).
//
//   const crc32c = crc32cFromCore(core);     // or: await loadCrc32c(wasm)
//   crc32c(utf8("123456789"));               // 0xE3069283
//   crc32c(b, crc32c(a)) === crc32c(a ++ b)

import { Core, loadCore, type CoreSource } from "../core.ts";

/** CRC32C of `bytes`, continuing `crc` (the CRC32C of the bytes before them; 0 to start). Unsigned. */
export type Crc32c = (bytes: Uint8Array, crc?: number) => number;

/** Bytes staged into the core per call. */
const CHUNK_BYTES = 64 * 1024;

interface Crc32cExports {
  crc32c(crc: number, ptr: number, len: number): number;
}

/** A CRC32C function computed by this core instance (it shares the core's scratch region). */
export function crc32cFromCore(core: Core): Crc32c {
  const update = core.exportsAs<Crc32cExports>().crc32c;
  return (bytes: Uint8Array, crc = 0): number => {
    let c = crc >>> 0;
    // A frame's checksum runs once per record sealed: one piece needs no view of its own.
    if (bytes.length <= CHUNK_BYTES) return bytes.length === 0 ? c : update(c, core.stage1(bytes), bytes.length) >>> 0;
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + CHUNK_BYTES));
      const ptr = core.stage1(piece);
      c = update(c, ptr, piece.length) >>> 0;
    }
    return c;
  };
}

/** Instantiates a core of its own (no keyspace is created) and returns its CRC32C. */
export async function loadCrc32c(source: CoreSource): Promise<Crc32c> {
  return crc32cFromCore(await loadCore(source));
}
