// A client connection's state machine, independent of the transport: the
// Node server, a Worker's WebSocket and the embedded API all drive one of
// these per connection.
//
// It sits in front of the engine for what depends on the connection: MULTI
// queues commands (checking each as it is queued, so a bad one aborts EXEC),
// WATCH marks the transaction dirty when a watched key is written, a RESP2
// subscriber may only (un)subscribe, PING, QUIT or RESET, and a blocking
// command that finds nothing parks the client until a write makes its key
// ready or its timeout fires. While a client is blocked, the host must not
// feed it further commands; it calls `resumed` on the host when it is free.
import type { Engine } from "./engine.ts";
import type { Hub } from "./hub.ts";
import { slotName } from "./hub.ts";
import type { Session } from "./context.ts";
import type { CommandDef } from "./commands/spec.ts";
import { ErrorReply, NullArray, PushReply, QUEUED, type Reply } from "./reply.ts";
import { lowerAscii } from "./bytes.ts";
import { checkCommand, latin1, NOAUTH, DENIED_CMD, DENIED_KEY, DENIED_CHANNEL, type AclUser, type AclRefusal } from "./acl.ts";
import { adminOf, type Admin } from "./admin/admin.ts";

export interface ClientHost {
  /** Writes a reply produced outside `execute`: a pub/sub message, or the reply of a blocked command. */
  deliver(reply: Reply): void;
  /** The client was blocked and is free again: go on with the commands that arrived meanwhile. */
  resumed(): void;
  /** Closes the connection once the replies already produced are written (ACL DELUSER of its user). */
  disconnect?(): void;
  /** The connection as one CLIENT LIST line (ACL LOG's client-info). */
  describe?(): string;
}

/** What `execute` produced: a reply, nothing (the command wrote its replies itself), or a block. */
export type Outcome = Reply | typeof NO_REPLY | typeof BLOCKED;
export const NO_REPLY: unique symbol = Symbol("no reply");
export const BLOCKED: unique symbol = Symbol("blocked");

/** A blocked command: how to retry it on a ready key, and its timer. */
export interface BlockedCommand {
  slots: string[];
  /** Tries the command against one ready key: its reply, or null if it still finds nothing. */
  attempt(key: Uint8Array): Reply | null;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const ALLOWED_WHEN_SUBSCRIBED = new Set(["subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset"]);
const NOT_QUEUED = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

let nextClientId = 1;

export class Client {
  readonly id = nextClientId++;
  readonly engine: Engine;
  readonly hub: Hub;
  readonly session: Session;
  readonly host: ClientHost;
  name = "";
  /** Queued commands while in MULTI; `failed` once a command could not be queued. */
  multi: { queue: Array<{ def: CommandDef; args: Uint8Array[] }>; failed: boolean } | null = null;
  /** True while EXEC runs the queue (blocking commands then do not block). */
  inExec = false;
  /** False for hosts that cannot wait (the synchronous embedded API): blocking commands then act as in MULTI. */
  mayBlock = true;
  private readonly watched = new Map<string, boolean>();
  private casDirty = false;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  private blocked: BlockedCommand | null = null;
  private replied = true;
  /** The ACL user this connection runs as (the default user until AUTH/HELLO AUTH). */
  user: AclUser;
  /**
   * Whether the connection has authenticated. A connection opened while the
   * default user needs no password starts authenticated and stays so, as in
   * Redis; otherwise only AUTH, HELLO, QUIT and RESET run until it logs in.
   */
  authenticated: boolean;
  /** The admin state (CLIENT PAUSE, MONITOR, CLIENT LIST) of this client's engine. */
  private readonly admin: Admin;
  /** Full name of the last command run ("client|list"), for CLIENT LIST's cmd. */
  lastCommand = "NULL";
  /** CLIENT REPLY: "skip-next" while CLIENT REPLY SKIP runs, "skip" during the command after it. */
  replyMode: "on" | "off" | "skip" | "skip-next" = "on";
  /** CLIENT NO-EVICT (no client eviction exists here; the flag is kept and shown). */
  noEvict = false;
  /** Replies to send after this command's own reply (a MONITOR client seeing its own command). */
  private afterReply: Reply[] = [];
  /** A command held back by CLIENT PAUSE, run when the pause ends. */
  private postponedArgs: Uint8Array[] | null = null;

  constructor(engine: Engine, host: ClientHost) {
    this.engine = engine;
    this.hub = engine.hub;
    this.host = host;
    this.session = engine.newSession();
    this.session.client = this;
    this.user = engine.acl.defaultUser;
    this.authenticated = engine.acl.defaultAuthenticated;
    this.admin = adminOf(engine);
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /**
   * Nothing that execute() would do besides running the command: no
   * transaction, subscription, block, pause, reply mode, MONITOR watching or
   * ACL restriction. A command may then run straight in the core (the
   * native batch path) with the same result as through execute().
   */
  get plain(): boolean {
    return this.multi === null && this.subscriptionCount === 0 && this.blocked === null &&
      this.postponedArgs === null && this.replyMode === "on" && this.afterReply.length === 0 &&
      this.authenticated && this.user.unrestricted &&
      this.admin.monitors.size === 0 && this.admin.nativeAllowed;
  }

  get isBlocked(): boolean {
    return this.blocked !== null || this.postponedArgs !== null;
  }

  /** Blocked by a blocking command (not by CLIENT PAUSE): CLIENT LIST's 'b'. */
  get isBlockedOnKeys(): boolean {
    return this.blocked !== null;
  }

  get isMonitor(): boolean {
    return this.admin.monitors.has(this);
  }

  /** Runs one command from this connection. */
  execute(args: Uint8Array[]): Outcome {
    const outcome = this.executeCommand(args);
    if (outcome === BLOCKED) return outcome;
    // CLIENT REPLY: OFF and SKIP swallow the reply; SKIP lasts one command.
    const silent = this.replyMode === "off" || this.replyMode === "skip";
    if (this.replyMode === "skip") this.replyMode = "on";
    else if (this.replyMode === "skip-next") this.replyMode = "skip";
    const reply = silent ? NO_REPLY : outcome;
    if (this.afterReply.length === 0) return reply;
    if (reply !== NO_REPLY) this.host.deliver(reply);
    for (const r of this.afterReply.splice(0)) this.deliver(r);
    return NO_REPLY;
  }

  /** Sends `reply` after the reply of the command running now (or at once between commands). */
  pushAfterReply(reply: Reply): void {
    this.afterReply.push(reply);
  }

  private executeCommand(args: Uint8Array[]): Outcome {
    if (this.isBlocked) throw new Error("a blocked client was given a command; the host must wait for resumed()");
    const def = this.engine.resolve(args);
    if (def instanceof ErrorReply) {
      // A known command called wrongly counts as rejected (INFO commandstats).
      const known = this.engine.lookup(args);
      if (known !== undefined) this.admin.commandStats.reject(known.name);
      return this.reject(args, def);
    }
    this.lastCommand = def.name;
    const refusal = this.admit(def, args);
    if (refusal !== null) return this.reject(args, refusal);
    const name = def.name.split("|")[0]!;
    if (this.session.protocol === 2 && this.subscriptionCount > 0 && !ALLOWED_WHEN_SUBSCRIBED.has(name)) {
      return new ErrorReply(`ERR Can't execute '${def.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
    }
    if (this.multi !== null && def.flags.includes("no_multi")) {
      this.multi.failed = true;
      this.admin.commandStats.reject(def.name);
      return new ErrorReply("ERR Command not allowed inside a transaction");
    }
    if (this.admin.mustPostpone(def, this)) {
      this.postponedArgs = args;
      this.admin.postpone(this);
      return BLOCKED;
    }
    if (this.multi !== null && !NOT_QUEUED.has(name)) {
      if (def.flags.includes("denyoom") && this.engine.overMemoryLimit()) {
        this.multi.failed = true;
        return new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.");
      }
      this.multi.queue.push({ def, args });
      return QUEUED;
    }
    this.replied = true;
    const reply = this.engine.run(this.session, def, args);
    this.hub.serveReady();
    if (this.blocked !== null) return BLOCKED;
    return this.replied ? reply : NO_REPLY;
  }

  /**
   * Redis's rejectCommand: a command refused before it runs fails the
   * transaction it was meant for; an EXEC refused so discards it at once.
   */
  private reject(args: Uint8Array[], error: ErrorReply): ErrorReply {
    if (this.multi === null) return error;
    this.multi.failed = true;
    if (lowerAscii(args[0]!) !== "exec") return error;
    this.discardMulti();
    const reason = error.message.startsWith("ERR ") ? error.message.slice(4) : error.message;
    return new ErrorReply(`EXECABORT Transaction discarded because of: ${reason}`);
  }

  // ---- authentication and ACL ------------------------------------------------

  /** Whether the connection must still log in (Redis's authRequired). */
  get needsAuth(): boolean {
    return !this.authenticated && this.engine.acl.authRequired;
  }

  /** NOAUTH for a connection that has not logged in, for any command other than those flagged no_auth. */
  refuseUnauthenticated(def?: CommandDef): ErrorReply | null {
    if (!this.needsAuth) return null;
    if (def !== undefined && def.flags.includes("no_auth")) return null;
    return new ErrorReply(NOAUTH);
  }

  /**
   * The checks Redis makes before running or queueing a command: login,
   * then the user's permissions (command, keys, channels). A refusal is
   * recorded in ACL LOG.
   */
  private admit(def: CommandDef, args: Uint8Array[]): ErrorReply | null {
    const noAuth = this.refuseUnauthenticated(def);
    if (noAuth !== null) return noAuth;
    if (this.user.unrestricted) return null;
    const refusal = checkCommand(this.user, def, args);
    if (refusal === null) return null;
    this.logRefusal(refusal, def, args, this.multi !== null ? "multi" : "toplevel");
    switch (refusal.reason) {
      case DENIED_CMD: return new ErrorReply(`NOPERM this user has no permissions to run the '${def.name}' command`);
      case DENIED_KEY: return new ErrorReply("NOPERM this user has no permissions to access one of the keys used as arguments");
      default: return new ErrorReply("NOPERM this user has no permissions to access one of the channels used as arguments");
    }
  }

  /**
   * EXEC checks each queued command again, in case the user's permissions
   * changed after it was queued; the command is then answered with this error.
   */
  refusedAtExec(def: CommandDef, args: Uint8Array[]): ErrorReply | null {
    if (this.user.unrestricted) return null;
    const refusal = checkCommand(this.user, def, args);
    if (refusal === null) return null;
    this.logRefusal(refusal, def, args, "multi");
    const reason = refusal.reason === DENIED_CMD ? "no permission to execute the command or subcommand"
      : refusal.reason === DENIED_KEY ? "no permission to touch the specified keys"
      : "no permission to access one of the channels used as arguments";
    return new ErrorReply(`NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`);
  }

  private logRefusal(refusal: AclRefusal, def: CommandDef, args: Uint8Array[], context: "toplevel" | "multi"): void {
    const object = refusal.reason === DENIED_KEY || refusal.reason === DENIED_CHANNEL ? latin1(args[refusal.position]!) : def.name;
    this.engine.acl.addLogEntry({ reason: refusal.reason, context, object, username: this.user.name, clientInfo: this.describe() });
  }

  /** Logs in as a user (AUTH, HELLO AUTH). */
  authenticateAs(user: AclUser): void {
    this.engine.acl.track(this, this.user, user);
    this.user = user;
    this.authenticated = true;
  }

  /** The connection as one CLIENT LIST line, as far as the host can tell. */
  describe(): string {
    return this.host.describe?.() ?? `id=${this.id} addr=? laddr=? fd=-1 name=${this.name} db=${this.session.db} user=${this.user.name} resp=${this.session.protocol}`;
  }

  /** Closes the connection (its user was deleted, or lost a channel it listens to). */
  disconnect(): void {
    this.host.disconnect?.();
  }

  // ---- for command handlers ----------------------------------------------

  /** The handler wrote its replies with `push`; do not send its return value. */
  repliedItself(): void {
    this.replied = false;
  }

  push(reply: PushReply | Reply): void {
    this.deliver(reply);
  }

  /** Writes a reply outside `execute`, unless CLIENT REPLY OFF/SKIP silences this client. */
  private deliver(reply: Reply): void {
    if (this.replyMode === "off" || this.replyMode === "skip") return;
    this.host.deliver(reply);
  }

  /** Runs the command CLIENT PAUSE held back; called when the pause ends. */
  resumePostponed(): void {
    const args = this.postponedArgs;
    if (args === null) return;
    this.postponedArgs = null;
    const outcome = this.execute(args);
    if (outcome === BLOCKED) return;
    if (outcome !== NO_REPLY) this.host.deliver(outcome);
    this.host.resumed();
  }

  /**
   * CLIENT UNBLOCK: ends a blocking command at once with `reply` (a timeout's
   * null, or an error). False if the client is not blocked on keys.
   */
  unblockWith(reply: Reply): boolean {
    if (this.blocked === null) return false;
    this.unblock();
    this.deliver(reply);
    this.host.resumed();
    return true;
  }

  // MULTI / EXEC / DISCARD / WATCH

  startMulti(): void {
    this.multi = { queue: [], failed: false };
  }

  discardMulti(): void {
    this.multi = null;
    this.unwatchAll();
  }

  watch(db: number, key: Uint8Array, exists: boolean): void {
    const slot = slotName(db, key);
    if (this.watched.has(slot)) return;
    this.watched.set(slot, exists);
    this.hub.watch(this, slot);
  }

  unwatchAll(): void {
    for (const slot of this.watched.keys()) this.hub.unwatch(this, slot);
    this.watched.clear();
    this.casDirty = false;
  }

  watchedKeyTouched(): void {
    this.casDirty = true;
  }

  /** Whether EXEC must abort: a watched key was written, or has expired since WATCH. */
  transactionInvalid(stillExists: (db: number, key: string) => boolean): boolean {
    if (this.casDirty) return true;
    for (const [slot, existed] of this.watched) {
      const colon = slot.indexOf(":");
      if (existed && !stillExists(Number(slot.slice(0, colon)), slot.slice(colon + 1))) return true;
    }
    return false;
  }

  // Blocking

  block(command: Omit<BlockedCommand, "timer">, timeoutMs: number): void {
    const blocked: BlockedCommand = { ...command, timer: undefined };
    if (timeoutMs > 0) {
      blocked.timer = setTimeout(() => {
        if (this.blocked !== blocked) return;
        this.unblock();
        this.deliver(NullArray.instance);
        this.host.resumed();
      }, timeoutMs);
    }
    this.blocked = blocked;
    this.hub.block(this, blocked.slots);
  }

  /** Called by the hub when `slot` is ready; returns whether this client was served. */
  tryServeBlocked(slot: string): boolean {
    const blocked = this.blocked;
    if (blocked === null) return false;
    const colon = slot.indexOf(":");
    const keyText = slot.slice(colon + 1);
    const key = new Uint8Array(keyText.length);
    for (let i = 0; i < keyText.length; i++) key[i] = keyText.charCodeAt(i);
    const reply = blocked.attempt(key);
    // Nothing there, or the key now holds another type: stay blocked, as Redis does.
    if (reply === null || reply instanceof ErrorReply) return false;
    this.unblock();
    this.deliver(reply);
    this.host.resumed();
    return true;
  }

  private unblock(): void {
    const blocked = this.blocked;
    if (blocked === null) return;
    clearTimeout(blocked.timer);
    this.hub.unblock(this, blocked.slots);
    this.blocked = null;
  }

  // Pub/sub

  subscriptionReply(kind: string, name: Uint8Array | null): PushReply {
    return new PushReply([new TextEncoder().encode(kind), name, this.subscriptionCount]);
  }

  /** RESET: back to a fresh connection's state (db 0, RESP2, no transaction, no subscriptions, logged out to the default user). */
  reset(): void {
    this.discardMulti();
    for (const c of this.channels) this.hub.unsubscribe(this, c);
    for (const p of this.patterns) this.hub.punsubscribe(this, p);
    this.channels.clear();
    this.patterns.clear();
    this.session.db = 0;
    this.session.protocol = 2;
    this.name = "";
    this.engine.acl.track(this, this.user, this.engine.acl.defaultUser);
    this.user = this.engine.acl.defaultUser;
    this.authenticated = this.engine.acl.defaultAuthenticated;
    this.replyMode = "on";
    this.admin.monitors.delete(this);
  }

  /** The connection is gone: drop everything it held. */
  close(): void {
    this.unblock();
    this.postponedArgs = null;
    this.reset();
    this.admin.unregister(this);
  }
}

export function isQuit(args: readonly Uint8Array[]): boolean {
  return args.length > 0 && lowerAscii(args[0]!) === "quit";
}

export const READONLY_ERROR = new ErrorReply("READONLY You can't write against a read only replica.");

/** A follower's answer to a write, as a Redis replica gives it (inside MULTI it also makes EXEC fail); null for anything else. */
export function refuseWriteOnReplica(client: Client, args: Uint8Array[]): ErrorReply | null {
  const def = client.engine.lookup(args);
  if (def === undefined || !def.flags.includes("write")) return null;
  if (client.multi !== null) client.multi.failed = true;
  return READONLY_ERROR;
}
