// CRC32C (Castagnoli), the checksum of log frames and snapshots.
//
// CRC32C is the CRC with the reflected polynomial 0x82F63B78, initial value
// and final xor 0xFFFFFFFF (the one iSCSI, ext4, LevelDB and RocksDB use). It
// detects every burst error up to 32 bits and has better Hamming distance
// than the zlib CRC-32 at the frame sizes we use.
//
// The computation is table-driven, slicing-by-8: eight tables of 256 u32
// (8 KiB in linear memory, built once when the module starts) let the loop
// consume eight bytes per step with eight independent lookups instead of a
// dependency chain of eight. Table k holds the CRC contribution of a byte
// that is followed by k zero bytes:
//
//   T[0][b] = the classic bytewise table
//   T[k][b] = (T[k-1][b] >> 8) ^ T[0][T[k-1][b] & 0xFF]
//
// The host calls crc32c_update(crc, ptr, len) over bytes it staged in the
// scratch region; `crc` is the running value of an earlier call (0 to
// start), so long inputs can be checksummed in pieces:
//
//   crc32c(a ++ b) == crc32c_update(crc32c_update(0, a), b)
//
// The pre- and post-conditioning (xor 0xFFFFFFFF) happens inside each call,
// which is what makes that chaining work.

import { alloc } from "./mem";

// @ts-ignore: decorator
@inline const POLY_REFLECTED: u32 = 0x82f63b78;

const table: usize = buildTables();

function buildTables(): usize {
  const t = alloc(8 * 256 * 4);
  for (let b: u32 = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = (c & 1) != 0 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    store<u32>(t + (<usize>b << 2), c);
  }
  for (let k: usize = 1; k < 8; k++) {
    for (let b: usize = 0; b < 256; b++) {
      const prev = load<u32>(t + ((k - 1) << 10) + (b << 2));
      store<u32>(t + (k << 10) + (b << 2), (prev >>> 8) ^ load<u32>(t + (<usize>(prev & 0xff) << 2)));
    }
  }
  return t;
}

// @ts-ignore: decorator
@inline function lookup(k: usize, index: u32): u32 {
  return load<u32>(table + (k << 10) + (<usize>(index & 0xff) << 2));
}

/** Continues the CRC32C `crc` (0 for a fresh one) over `len` bytes at `ptr`. */
export function crc32c_update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let p = ptr;
  const end = ptr + len;
  // Bytewise until p is 8-aligned, so the word loads below are aligned.
  while (p < end && (p & 7) != 0) {
    c = lookup(0, c ^ <u32>load<u8>(p)) ^ (c >>> 8);
    p++;
  }
  while (p + 8 <= end) {
    const lo = load<u32>(p) ^ c;
    const hi = load<u32>(p + 4);
    c = lookup(7, lo) ^ lookup(6, lo >>> 8) ^ lookup(5, lo >>> 16) ^ lookup(4, lo >>> 24)
      ^ lookup(3, hi) ^ lookup(2, hi >>> 8) ^ lookup(1, hi >>> 16) ^ lookup(0, hi >>> 24);
    p += 8;
  }
  while (p < end) {
    c = lookup(0, c ^ <u32>load<u8>(p)) ^ (c >>> 8);
    p++;
  }
  return ~c;
}
