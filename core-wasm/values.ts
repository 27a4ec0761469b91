// Operations every value type provides to the keyspace: free and deep copy.
// Strings are stored inside the keyspace entry itself, so they need neither.

import { TYPE_STRING } from "./types";
import { TYPE_HASH } from "./types";
import { TYPE_SET } from "./types";
import { hash_free, hash_copy } from "./hash";
import { set_free, set_copy } from "./set";

export function freeValue(type: u32, obj: usize): void {
  if (type == TYPE_STRING) return;
  if (type == TYPE_HASH) { hash_free(obj); return; }
  if (type == TYPE_SET) { set_free(obj); return; }
  unreachable();
}

export function copyValue(type: u32, obj: usize): usize {
  if (type == TYPE_STRING) return 0;
  if (type == TYPE_HASH) return hash_copy(obj);
  if (type == TYPE_SET) return set_copy(obj);
  unreachable();
  return 0;
}
