// Keyspace notifications (Redis's notify-keyspace-events).
//
// When a command changes a key, Redis publishes two pub/sub messages: on
// `__keyspace@<db>__:<key>` the event name ("set", "lpush", "expired"...), and
// on `__keyevent@<db>__:<event>` the key. Which events are published is a set
// of classes, written as characters:
//
//   K  keyspace channel        E  keyevent channel
//   g  generic (del, expire, rename...)   $  string   l  list   s  set
//   h  hash   z  sorted set   x  expired   e  evicted   t  stream
//   m  key miss (a read found no key)     d  module     n  new key
//   A  alias for g$lshzxetd (not m, not n)
//
// Events come from three places, and only these:
// - command handlers call `ctx.notify(NotifyClass.x, "event", key)` where
//   Redis's handler calls notifyKeyspaceEvent, in the same order;
// - the core's key log (expired and evicted keys, and new keys when the `n`
//   class is on) is turned into "expired" / "evicted" / "new" by the engine;
// - the engine publishes "keymiss" for each missing key of a read-only
//   command when the `m` class is on.
// The engine publishes them through the hub (runtime/hub.ts) as they
// happen: before a handler's event it publishes what the core logged since
// the last one, so a key that expires on access, or is created, is reported
// before what the command did with it, as in Redis (MSET of two new keys:
// new a, set a, new b, set b). While the setting is empty a notify call
// costs one comparison.

/** Event classes, with Redis's bit values (server.h NOTIFY_*). */
export const NotifyClass = {
  keyspace: 1 << 0,
  keyevent: 1 << 1,
  generic: 1 << 2,
  string: 1 << 3,
  list: 1 << 4,
  set: 1 << 5,
  hash: 1 << 6,
  zset: 1 << 7,
  expired: 1 << 8,
  evicted: 1 << 9,
  stream: 1 << 10,
  keyMiss: 1 << 11,
  module: 1 << 12,
  newKey: 1 << 13,
} as const;

/** What `A` stands for: every class except key miss and new key. */
export const NOTIFY_ALL =
  NotifyClass.generic | NotifyClass.string | NotifyClass.list | NotifyClass.set | NotifyClass.hash |
  NotifyClass.zset | NotifyClass.expired | NotifyClass.evicted | NotifyClass.stream | NotifyClass.module;

const CLASS_OF_CHAR: Readonly<Record<string, number>> = {
  A: NOTIFY_ALL,
  g: NotifyClass.generic,
  $: NotifyClass.string,
  l: NotifyClass.list,
  s: NotifyClass.set,
  h: NotifyClass.hash,
  z: NotifyClass.zset,
  x: NotifyClass.expired,
  e: NotifyClass.evicted,
  K: NotifyClass.keyspace,
  E: NotifyClass.keyevent,
  t: NotifyClass.stream,
  m: NotifyClass.keyMiss,
  d: NotifyClass.module,
  n: NotifyClass.newKey,
};

/** The characters accepted, in the order Redis's error message lists them. */
export const NOTIFY_CLASS_CHARS = "Ag$lshzxeKEtmdn";

/** Parses a notify-keyspace-events value; null if a character is not a class. */
export function parseNotifyFlags(value: string): number | null {
  let flags = 0;
  for (const ch of value) {
    const bits = CLASS_OF_CHAR[ch];
    if (bits === undefined) return null;
    flags |= bits;
  }
  return flags;
}

/**
 * The setting as CONFIG GET shows it, in Redis 7.0's order: A (or the type
 * classes one by one), then K, E and m. As in Redis 7.0, n is shown only
 * when A is not (keyspaceEventsFlagsToString lists it among the classes A
 * replaces).
 */
export function formatNotifyFlags(flags: number): string {
  let out = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    out += "A";
  } else {
    if (flags & NotifyClass.generic) out += "g";
    if (flags & NotifyClass.string) out += "$";
    if (flags & NotifyClass.list) out += "l";
    if (flags & NotifyClass.set) out += "s";
    if (flags & NotifyClass.hash) out += "h";
    if (flags & NotifyClass.zset) out += "z";
    if (flags & NotifyClass.expired) out += "x";
    if (flags & NotifyClass.evicted) out += "e";
    if (flags & NotifyClass.stream) out += "t";
    if (flags & NotifyClass.module) out += "d";
    if (flags & NotifyClass.newKey) out += "n";
  }
  if (flags & NotifyClass.keyspace) out += "K";
  if (flags & NotifyClass.keyevent) out += "E";
  if (flags & NotifyClass.keyMiss) out += "m";
  return out;
}

/** One event to publish: what happened (Redis's event name) to which key in which db. */
export interface KeyspaceEvent {
  readonly db: number;
  readonly event: string;
  readonly key: Uint8Array;
}

/** Where events go: the hub publishes them on the two channels. */
export type KeyspaceEventSink = (flags: number, event: KeyspaceEvent) => void;
