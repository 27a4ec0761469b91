// CRC32C (Castagnoli): the checksum of log records and snapshot images.
//
// Polynomial 0x1EDC6F41, reflected (0x82F63B78), initial value and final XOR
// 0xFFFFFFFF, as iSCSI, ext4 and most log formats use it; the check value
// of "123456789" is 0xE3069283. `crc32c(crc, ptr, len)` continues a running
// checksum like zlib's crc32(): start with 0, pass each result back in to
// checksum data given in pieces.
//
// Slicing-by-8: eight 256-entry tables (8 KiB, static memory, filled by the
// start function), one table lookup per input byte but eight independent
// ones per 8-byte word, which is several times faster than the bytewise loop
// on large inputs such as a whole memory image.

// @ts-ignore: decorator
@inline const POLY_REFLECTED: u32 = 0x82f63b78;

// Table t at TABLE + t * 1024: the CRC of byte n followed by t zero bytes.
const TABLE: usize = memory.data(8 * 256 * 4, 16);

function fillTables(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    store<u32>(TABLE + (<usize>n << 2), c);
  }
  for (let n: u32 = 0; n < 256; n++) {
    let c = load<u32>(TABLE + (<usize>n << 2));
    for (let t: usize = 1; t < 8; t++) {
      c = load<u32>(TABLE + (<usize>(c & 0xff) << 2)) ^ (c >>> 8);
      store<u32>(TABLE + t * 1024 + (<usize>n << 2), c);
    }
  }
}
fillTables();

// @ts-ignore: decorator
@inline function lookup(t: usize, index: u32): u32 {
  return load<u32>(TABLE + t * 1024 + (<usize>index << 2));
}

/** Continues the CRC32C `crc` (0 to start) over `len` bytes at `ptr`. */
export function crc32c(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let p = ptr;
  const end = ptr + len;
  while (p < end && (p & 7) != 0) {
    c = lookup(0, (c ^ <u32>load<u8>(p)) & 0xff) ^ (c >>> 8);
    p++;
  }
  while (end - p >= 8) {
    const lo = load<u32>(p) ^ c;
    const hi = load<u32>(p, 4);
    c = lookup(7, lo & 0xff) ^ lookup(6, (lo >>> 8) & 0xff) ^ lookup(5, (lo >>> 16) & 0xff) ^ lookup(4, lo >>> 24)
      ^ lookup(3, hi & 0xff) ^ lookup(2, (hi >>> 8) & 0xff) ^ lookup(1, (hi >>> 16) & 0xff) ^ lookup(0, hi >>> 24);
    p += 8;
  }
  while (p < end) {
    c = lookup(0, (c ^ <u32>load<u8>(p)) & 0xff) ^ (c >>> 8);
    p++;
  }
  return ~c;
}
