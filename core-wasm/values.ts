// Operations every value type provides to the keyspace: free, deep copy and
// dump (snapshot_dump's records).
// Strings are stored inside the keyspace entry itself, so they need neither.

import { TYPE_STRING, TYPE_LIST, TYPE_ZSET, TYPE_HASH, TYPE_SET } from "./types";
import { listFree, listCopy, listDumpInto } from "./list";
import { ZSet, zsetFree, zsetCopy, zsetDumpInto } from "./zset";
import { hash_free, hash_copy, hashDumpInto } from "./hash";
import { set_free, set_copy, setDumpInto } from "./set";

export function freeValue(type: u32, obj: usize): void {
  if (type == TYPE_STRING) return;
  if (type == TYPE_LIST) { listFree(obj); return; }
  if (type == TYPE_ZSET) { zsetFree(changetype<ZSet>(obj)); return; }
  if (type == TYPE_HASH) { hash_free(obj); return; }
  if (type == TYPE_SET) { set_free(obj); return; }
  unreachable();
}

export function copyValue(type: u32, obj: usize): usize {
  if (type == TYPE_STRING) return 0;
  if (type == TYPE_LIST) return listCopy(obj);
  if (type == TYPE_ZSET) return changetype<usize>(zsetCopy(changetype<ZSet>(obj)));
  if (type == TYPE_HASH) return hash_copy(obj);
  if (type == TYPE_SET) return set_copy(obj);
  unreachable();
  return 0;
}

/** Appends a collection's dump record body (count, then its elements) to the output. */
export function dumpValue(type: u32, obj: usize): void {
  if (type == TYPE_LIST) { listDumpInto(obj); return; }
  if (type == TYPE_ZSET) { zsetDumpInto(obj); return; }
  if (type == TYPE_HASH) { hashDumpInto(obj); return; }
  if (type == TYPE_SET) { setDumpInto(obj); return; }
  unreachable();
}
