// OBJECT ENCODING names by value type and the core's 4-bit encoding tag.
// Each value-type module in the core sets the tag of its entries; this is
// the one place that names them. Names follow Redis 7.0 where the core's
// representation is of the same kind (a compact array for small collections
// is "listpack", a hash table "hashtable", a skiplist "skiplist", ...).
import { ValueType } from "./core.ts";

export const ENCODING_NAMES: Readonly<Record<number, readonly string[]>> = {
  [ValueType.string]: ["raw", "int", "embstr"],
  [ValueType.list]: ["quicklist", "listpack"],
  [ValueType.set]: ["hashtable", "intset", "listpack"],
  [ValueType.zset]: ["skiplist", "listpack"],
  [ValueType.hash]: ["hashtable", "listpack"],
};

export function encodingName(type: number, enc: number): string {
  return ENCODING_NAMES[type]?.[enc] ?? "unknown";
}
