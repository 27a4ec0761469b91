// What a command handler works with: the engine, the core, the caller's
// session, the time of the command, and the effect it propagates.

import type { Core } from "./core.ts";
import { LOOKUP_NOTOUCH } from "./core.ts";
import type { Engine } from "./engine.ts";
import type { EffectRecord } from "./effects.ts";
import type { Client } from "./client.ts";
import { Errors, type ErrorReply } from "./reply.ts";
import { toBytes, type Arg } from "./bytes.ts";
import { NotifyClass } from "./notify.ts";

/** Per-connection (or per embedded handle) state. */
export interface Session {
  db: number;
  protocol: 2 | 3;
  /** The connection this session belongs to, where there is one (runtime/client.ts). */
  client?: Client;
}

export class CommandContext {
  /** Counts changes made; a write with dirty > 0 propagates an effect. */
  dirty = 0;
  /** When set, propagated instead of the command's own arguments. */
  private rewritten: EffectRecord[] | null = null;

  readonly engine: Engine;
  readonly core: Core;
  readonly session: Session;
  /** Unix ms, fixed for the whole command like Redis's cached mstime. */
  readonly now: number;
  /** The command's name, lower case (for error texts). */
  readonly name: string;

  constructor(engine: Engine, core: Core, session: Session, now: number, name: string) {
    this.engine = engine;
    this.core = core;
    this.session = session;
    this.now = now;
    this.name = name;
  }

  get db(): number {
    return this.session.db;
  }

  /** The entry of a live key (expiring it if due), or 0. */
  find(key: Uint8Array, flags = 0): number {
    return this.core.x.ks_find(this.session.db, this.core.stage1(key), key.length, flags);
  }

  /** Like find, without updating the key's LRU time (OBJECT, TTL, TYPE...). */
  findNoTouch(key: Uint8Array): number {
    return this.find(key, LOOKUP_NOTOUCH);
  }

  /** The entry if the key holds `type`, 0 if absent, or the WRONGTYPE error. */
  findTyped(key: Uint8Array, type: number, flags = 0): number | ErrorReply {
    const e = this.find(key, flags);
    if (e === 0) return 0;
    return this.core.x.ks_entry_type(e) === type ? e : Errors.wrongType;
  }

  /**
   * Reports a keyspace event, where Redis calls notifyKeyspaceEvent: `type`
   * is its class (NotifyClass.string, .list, .generic...), `event` Redis's
   * name for it ("set", "lpush", "del"...). Published at once if
   * notify-keyspace-events asks for that class; otherwise free.
   */
  notify(type: number, event: string, key: Uint8Array, db: number = this.session.db): void {
    if ((this.engine.notifyFlags & type) !== 0) this.engine.notify(type, { db, event, key });
  }

  /**
   * Reports a "keymiss" (class m) for a key a write command looked up to
   * read and did not find, where Redis's lookupKeyRead would (SET ... GET,
   * GETDEL, COPY's source, a STORE's sources...). Read-only commands need
   * not call it: the engine reports their missing keys itself.
   */
  keyMiss(key: Uint8Array): void {
    if ((this.engine.notifyFlags & NotifyClass.keyMiss) !== 0) this.engine.notify(NotifyClass.keyMiss, { db: this.session.db, event: "keymiss", key });
  }

  /**
   * Runs `write` without "new" events for the keys it adds, when `replacing`:
   * a command that deletes a key and adds it again (a STORE over an existing
   * destination) overwrites it, as Redis's setKey does, and adds nothing.
   */
  withoutNewKeyEvents(replacing: boolean, write: () => void): void {
    if (!replacing || (this.engine.notifyFlags & NotifyClass.newKey) === 0) {
      write();
      return;
    }
    this.core.x.ks_set_log_new_keys(0);
    try {
      write();
    } finally {
      this.core.x.ks_set_log_new_keys(1);
    }
  }

  /** Replaces what this command propagates with one command in the current db. */
  rewrite(...args: Arg[]): void {
    this.rewritten = [{ db: this.session.db, args: args.map(toBytes) }];
  }

  /** Adds a command to what this command propagates (after any earlier ones). */
  propagate(db: number, ...args: Arg[]): void {
    (this.rewritten ??= []).push({ db, args: args.map(toBytes) });
  }

  /** Propagates nothing even though the command was a write that changed something. */
  propagateNothing(): void {
    this.rewritten = [];
  }

  /** @internal the records to propagate, given the original arguments. */
  effects(args: readonly Uint8Array[]): readonly EffectRecord[] {
    if (this.rewritten !== null) return this.rewritten;
    return this.dirty > 0 ? [{ db: this.session.db, args }] : [];
  }
}
