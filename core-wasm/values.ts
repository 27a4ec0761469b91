// Operations every value type provides to the keyspace: free and deep copy.
// Strings are stored inside the keyspace entry itself, so they need neither.

import { TYPE_STRING, TYPE_LIST, TYPE_ZSET, TYPE_HASH, TYPE_SET } from "./types";
import { listFree, listCopy } from "./list";
import { ZSet, zsetFree, zsetCopy } from "./zset";
import { hash_free, hash_copy } from "./hash";
import { set_free, set_copy } from "./set";

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
