// The embedded API: a Trireme keyspace inside your process, on Node, in a
// Worker or in a browser. Commands go in as arrays of strings or bytes;
// replies come back as plain JavaScript values.
//
//   const store = await openStore(wasmModuleOrBytes);
//   store.command("SET", "greeting", "hello");   // "OK"
//   store.command("GET", "greeting");            // "hello"
//
// An error reply throws a ReplyError carrying Redis's text. The store is
// synchronous: the data is in this process's memory, so there is nothing to
// wait for. (Durability comes from the log, in the hosts.)

import { Engine, type EngineOptions } from "./engine.ts";
import type { CoreSource } from "./core.ts";
import { Client, BLOCKED, NO_REPLY } from "./client.ts";
import { toBytes, text, type Arg } from "./bytes.ts";
import {
  BoolReply, DoubleReply, ErrorReply, MapReply, NullArray, PushReply, SetReply, SimpleString, VerbatimReply, type Reply,
} from "./reply.ts";
import { formatDouble } from "./numbers.ts";

export class ReplyError extends Error {
  override name = "ReplyError";
}

/** A reply as JavaScript values. */
export type Value = string | number | bigint | boolean | Uint8Array | null | Value[] | Map<Value, Value> | Set<Value>;

export interface StoreOptions extends EngineOptions {
  /** Return bulk strings as Uint8Array instead of UTF-8 decoded strings. */
  bytes?: boolean;
  /** RESP protocol semantics of replies: 2 (default, like most clients) or 3 (maps, doubles, sets). */
  protocol?: 2 | 3;
  /** Run active expiry on a timer every this many ms (0 disables; default 100, like Redis's hz 10). */
  activeExpireIntervalMs?: number;
  /** Receives pub/sub messages for this store's subscriptions. */
  onPush?: (message: Value) => void;
}

export class Store {
  private readonly client: Client;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  readonly engine: Engine;
  private readonly options: StoreOptions;
  /** Replies a command wrote itself (SUBSCRIBE's confirmations), while it runs. */
  private collected: Reply[] | null = null;

  constructor(engine: Engine, options: StoreOptions = {}) {
    this.engine = engine;
    this.options = options;
    this.client = new Client(engine, {
      deliver: (reply) => {
        if (this.collected !== null) this.collected.push(reply);
        else this.options.onPush?.(this.toValue(reply));
      },
      resumed: () => {},
    });
    // A synchronous API cannot wait: blocking commands answer at once, as inside MULTI.
    this.client.mayBlock = false;
    this.client.session.protocol = options.protocol ?? 2;
    const interval = options.activeExpireIntervalMs ?? 100;
    if (interval > 0) {
      this.timer = setInterval(() => engine.activeExpire(1), interval);
      // Do not keep a Node process alive just for expiry.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Runs a command and returns its reply as JS values; throws ReplyError on an error reply. */
  command(...args: Arg[]): Value {
    return this.toValue(this.reply(args.map(toBytes)));
  }

  /**
   * Runs a command given as bytes and returns the protocol-level reply
   * (errors are returned, not thrown). A command that writes several
   * replies itself (SUBSCRIBE a b) returns them as an array.
   */
  reply(args: Uint8Array[]): Reply {
    this.collected = [];
    try {
      const outcome = this.client.execute(args);
      if (outcome === NO_REPLY) return this.collected;
      if (outcome === BLOCKED) throw new Error("the embedded store never blocks");
      return outcome;
    } finally {
      this.collected = null;
    }
  }

  /** A snapshot image of the store's engine covering the log up to `lsn` (see runtime/snapshot.ts). */
  snapshot(lsn: number): Uint8Array {
    return this.engine.snapshot(lsn);
  }

  /** The database this handle's commands use (SELECT changes it). */
  get db(): number {
    return this.client.session.db;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.client.close();
  }

  private toValue(reply: Reply): Value {
    if (reply === null || typeof reply === "number" || typeof reply === "bigint") return reply;
    if (reply instanceof Uint8Array) return this.options.bytes ? reply : text(reply);
    if (Array.isArray(reply)) return reply.map((r) => this.toValue(r));
    if (reply instanceof SimpleString) return reply.value;
    if (reply instanceof ErrorReply) throw new ReplyError(reply.message);
    if (reply instanceof DoubleReply) return this.client.session.protocol === 3 ? reply.value : formatDouble(reply.value);
    if (reply instanceof MapReply) {
      if (this.client.session.protocol === 2) return reply.entries.flatMap(([k, v]) => [this.toValue(k), this.toValue(v)]);
      return new Map(reply.entries.map(([k, v]) => [this.toValue(k), this.toValue(v)]));
    }
    if (reply instanceof SetReply) {
      const items = reply.items.map((r) => this.toValue(r));
      return this.client.session.protocol === 3 ? new Set(items) : items;
    }
    if (reply instanceof BoolReply) return this.client.session.protocol === 3 ? reply.value : reply.value ? 1 : 0;
    if (reply instanceof VerbatimReply) return this.options.bytes ? reply.text : text(reply.text);
    if (reply instanceof NullArray) return null;
    if (reply instanceof PushReply) return reply.items.map((r) => this.toValue(r));
    return null;
  }
}

/** Opens an in-process store over a compiled or raw Trireme core (.wasm). */
export async function openStore(core: CoreSource, options: StoreOptions = {}): Promise<Store> {
  return new Store(await Engine.create(core, options), options);
}

/** Opens a store holding a snapshot image's data, over the core build that took it. */
export async function openStoreFromSnapshot(core: CoreSource, image: Uint8Array, options: StoreOptions = {}): Promise<Store> {
  return new Store(await Engine.fromSnapshot(core, image, options), options);
}
