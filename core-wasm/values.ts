// Operations every value type provides to the keyspace: free and deep copy.
// Strings are stored inside the keyspace entry itself, so they need neither.

import { TYPE_STRING, TYPE_LIST, TYPE_ZSET } from "./types";
import { listFree, listCopy } from "./list";
import { ZSet, zsetFree, zsetCopy } from "./zset";

export function freeValue(type: u32, obj: usize): void {
  if (type == TYPE_STRING) return;
  if (type == TYPE_LIST) { listFree(obj); return; }
  if (type == TYPE_ZSET) { zsetFree(changetype<ZSet>(obj)); return; }
  unreachable();
}

export function copyValue(type: u32, obj: usize): usize {
  if (type == TYPE_STRING) return 0;
  if (type == TYPE_LIST) return listCopy(obj);
  if (type == TYPE_ZSET) return changetype<usize>(zsetCopy(changetype<ZSet>(obj)));
  unreachable();
  return 0;
}
