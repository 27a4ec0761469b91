// Operations every value type provides to the keyspace: free and deep copy.
// Strings are stored inside the keyspace entry itself, so they need neither.

import { TYPE_STRING, TYPE_LIST } from "./types";
import { listFree, listCopy } from "./list";

export function freeValue(type: u32, obj: usize): void {
  if (type == TYPE_STRING) return;
  if (type == TYPE_LIST) { listFree(obj); return; }
  unreachable();
}

export function copyValue(type: u32, obj: usize): usize {
  if (type == TYPE_STRING) return 0;
  if (type == TYPE_LIST) return listCopy(obj);
  unreachable();
  return 0;
}
