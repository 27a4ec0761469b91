// MEMORY USAGE: the bytes one key costs, measured from the blocks it holds.
//
// A key costs its keyspace entry (which holds the key, and a string's value,
// inline), its slot in the database's bucket array, its slot in the volatile
// array when it has an expiry, and the blocks of its value object. Each type
// adds its own case below (one `if`), measuring its blocks through
// blockBytes, so the answer is what the allocator really holds, headers and
// rounding included. A collection larger than `samples` may be estimated from
// its first `samples` elements, as Redis does (samples 0 measures all).

import { blockBytes } from "./mem";
import { TYPE_STRING, TYPE_LIST, TYPE_ZSET } from "./types";
import { entryType, entryObject, E_VIDX, NO_EXPIRY } from "./keyspace";
import { list_bytes } from "./list";
import { ZSet, zsetBytes } from "./zset";

// A bucket slot is a u32; a volatile slot an entry u32 and an expiry i64.
// @ts-ignore: decorator
@inline const BUCKET_SLOT_BYTES: usize = 4;
// @ts-ignore: decorator
@inline const VOLATILE_SLOT_BYTES: usize = 12;

function valueBytes(type: u32, obj: usize, samples: u32): usize {
  if (type == TYPE_STRING) return 0;
  if (type == TYPE_LIST) return <usize>list_bytes(obj);
  if (type == TYPE_ZSET) return zsetBytes(changetype<ZSet>(obj), samples);
  return 0;
}

/** Bytes used by the key of entry `e` and its value. */
export function mem_key_usage(e: usize, samples: u32): f64 {
  let total = blockBytes(e) + BUCKET_SLOT_BYTES;
  if (load<u32>(e + E_VIDX) != NO_EXPIRY) total += VOLATILE_SLOT_BYTES;
  const type = entryType(e);
  if (type != TYPE_STRING) total += valueBytes(type, entryObject(e), samples);
  return <f64>total;
}
