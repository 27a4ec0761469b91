// What connected clients share through one engine: pub/sub channels and
// patterns, WATCHed keys, and clients blocked on keys (BLPOP and friends).
//
// The hub learns about writes by observing the engine's effect records: the
// keys a record touches are exactly the keys the write changed, and that
// includes keys the engine expired or evicted (they come as DEL records). A
// touched key invalidates the transactions that watch it and makes clients
// blocked on it ready; ready clients are served after the command that made
// them ready has finished, in the order they blocked, as Redis does.
import type { Engine } from "./engine.ts";
import type { EffectRecord } from "./effects.ts";
import type { Client } from "./client.ts";
import { commandTable } from "./commands/table.ts";
import { keyPositions } from "./commands/spec.ts";
import { ascii, lowerAscii } from "./bytes.ts";
import { parseLong } from "./numbers.ts";
import { globMatch } from "./glob.ts";
import { PushReply, type Reply } from "./reply.ts";
import { NotifyClass, type KeyspaceEvent } from "./notify.ts";

/** A map key for (db, key): the key's bytes as a latin1 string, so equal bytes give equal strings. */
export function slotName(db: number, key: Uint8Array): string {
  return `${db}:${ascii(key)}`;
}

function dbOfSlot(slot: string): number {
  return Number(slot.slice(0, slot.indexOf(":")));
}

export class Hub {
  readonly engine: Engine;
  private readonly watchers = new Map<string, Set<Client>>();
  private readonly blocked = new Map<string, Client[]>();
  private readonly ready = new Set<string>();
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, { pattern: Uint8Array; clients: Set<Client> }>();
  private serving = false;

  constructor(engine: Engine) {
    this.engine = engine;
    engine.observers.push({ wantsEffects: () => this.watchers.size > 0 || this.blocked.size > 0, observe: (record) => this.observe(record) });
  }

  // ---- touched keys ------------------------------------------------------

  private observe(record: EffectRecord): void {
    const args = record.args;
    const name = lowerAscii(args[0]!);
    switch (name) {
      case "flushdb": this.touchDb(record.db); return;
      case "flushall": for (let db = 0; db < this.engine.databases; db++) this.touchDb(db); return;
      case "swapdb": {
        this.touchDb(parseLong(args[1]!) ?? -1);
        this.touchDb(parseLong(args[2]!) ?? -1);
        return;
      }
      case "move": {
        this.touch(slotName(record.db, args[1]!));
        this.touch(slotName(parseLong(args[2]!) ?? -1, args[1]!));
        return;
      }
      case "copy": {
        let destDb = record.db;
        for (let i = 3; i + 1 < args.length; i++) if (lowerAscii(args[i]!) === "db") destDb = parseLong(args[i + 1]!) ?? destDb;
        this.touch(slotName(destDb, args[2]!));
        return;
      }
    }
    const def = commandTable.get(name);
    if (def === undefined) return;
    for (const i of keyPositions(def, args.length, args)) this.touch(slotName(record.db, args[i]!));
  }

  private touch(slot: string): void {
    const watching = this.watchers.get(slot);
    if (watching !== undefined) for (const c of watching) c.watchedKeyTouched();
    if (this.blocked.has(slot)) this.ready.add(slot);
  }

  private touchDb(db: number): void {
    for (const [slot, clients] of this.watchers) if (dbOfSlot(slot) === db) for (const c of clients) c.watchedKeyTouched();
    for (const slot of this.blocked.keys()) if (dbOfSlot(slot) === db) this.ready.add(slot);
  }

  // ---- WATCH -------------------------------------------------------------

  watch(client: Client, slot: string): void {
    let set = this.watchers.get(slot);
    if (set === undefined) this.watchers.set(slot, (set = new Set()));
    set.add(client);
  }

  unwatch(client: Client, slot: string): void {
    const set = this.watchers.get(slot);
    if (set === undefined) return;
    set.delete(client);
    if (set.size === 0) this.watchers.delete(slot);
  }

  // ---- blocking ----------------------------------------------------------

  block(client: Client, slots: readonly string[]): void {
    for (const slot of slots) {
      const queue = this.blocked.get(slot);
      if (queue === undefined) this.blocked.set(slot, [client]);
      else queue.push(client);
    }
  }

  unblock(client: Client, slots: readonly string[]): void {
    for (const slot of slots) {
      const queue = this.blocked.get(slot);
      if (queue === undefined) continue;
      const i = queue.indexOf(client);
      if (i >= 0) queue.splice(i, 1);
      if (queue.length === 0) this.blocked.delete(slot);
    }
  }

  /**
   * Serves clients blocked on keys that writes made ready, until no key is
   * ready: serving one client (BLMOVE) can make another key ready.
   */
  serveReady(): void {
    if (this.serving || this.ready.size === 0) return;
    this.serving = true;
    try {
      while (this.ready.size > 0) {
        const slot = this.ready.values().next().value as string;
        this.ready.delete(slot);
        const queue = this.blocked.get(slot);
        if (queue === undefined) continue;
        for (const client of [...queue]) {
          if (!client.tryServeBlocked(slot)) break;
        }
      }
    } finally {
      this.serving = false;
    }
  }

  // ---- pub/sub -----------------------------------------------------------

  subscribe(client: Client, channel: Uint8Array): boolean {
    const name = ascii(channel);
    let set = this.channels.get(name);
    if (set === undefined) this.channels.set(name, (set = new Set()));
    if (set.has(client)) return false;
    set.add(client);
    return true;
  }

  unsubscribe(client: Client, channel: string): boolean {
    const set = this.channels.get(channel);
    if (set === undefined || !set.delete(client)) return false;
    if (set.size === 0) this.channels.delete(channel);
    return true;
  }

  psubscribe(client: Client, pattern: Uint8Array): boolean {
    const name = ascii(pattern);
    let entry = this.patterns.get(name);
    if (entry === undefined) this.patterns.set(name, (entry = { pattern, clients: new Set() }));
    if (entry.clients.has(client)) return false;
    entry.clients.add(client);
    return true;
  }

  punsubscribe(client: Client, pattern: string): boolean {
    const entry = this.patterns.get(pattern);
    if (entry === undefined || !entry.clients.delete(client)) return false;
    if (entry.clients.size === 0) this.patterns.delete(pattern);
    return true;
  }

  /**
   * Publishes a keyspace event as Redis does: the event name on
   * `__keyspace@<db>__:<key>` (class K), then the key on
   * `__keyevent@<db>__:<event>` (class E).
   */
  publishKeyspaceEvent(flags: number, event: KeyspaceEvent): void {
    if (this.channels.size === 0 && this.patterns.size === 0) return;
    const name = bulk(event.event);
    if (flags & NotifyClass.keyspace) {
      const prefix = bulk(`__keyspace@${event.db}__:`);
      const channel = new Uint8Array(prefix.length + event.key.length);
      channel.set(prefix);
      channel.set(event.key, prefix.length);
      this.publish(channel, name);
    }
    if (flags & NotifyClass.keyevent) this.publish(bulk(`__keyevent@${event.db}__:${event.event}`), event.key);
  }

  /** Delivers a message to channel subscribers, then to matching patterns; returns the receiver count. */
  publish(channel: Uint8Array, message: Uint8Array): number {
    let receivers = 0;
    const subscribers = this.channels.get(ascii(channel));
    if (subscribers !== undefined) {
      for (const c of subscribers) {
        c.push(new PushReply([bulk("message"), channel, message]));
        receivers++;
      }
    }
    for (const { pattern, clients } of this.patterns.values()) {
      if (!globMatch(pattern, channel)) continue;
      for (const c of clients) {
        c.push(new PushReply([bulk("pmessage"), pattern, channel, message] as Reply[]));
        receivers++;
      }
    }
    return receivers;
  }
}

const encoder = new TextEncoder();
function bulk(s: string): Uint8Array {
  return encoder.encode(s);
}
