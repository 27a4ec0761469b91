// MULTI, EXEC, DISCARD, WATCH, UNWATCH. The queueing itself happens in
// runtime/client.ts (a command is checked when it is queued); these handlers
// start, run and drop the queue.
import type { CommandContext } from "../context.ts";
import { range, type CommandDef } from "./spec.ts";
import { ErrorReply, NullArray, OK, type Reply } from "../reply.ts";
import { LOOKUP_NOTOUCH } from "../core.ts";
import type { Client } from "../client.ts";

const needsClient = (name: string) => new ErrorReply(`ERR ${name.toUpperCase()} needs a client connection`);

function clientOf(ctx: CommandContext): Client | undefined {
  return ctx.session.client;
}

// MULTI
function multi(ctx: CommandContext): Reply {
  const client = clientOf(ctx);
  if (client === undefined) return needsClient("multi");
  if (client.multi !== null) return new ErrorReply("ERR MULTI calls can not be nested");
  client.startMulti();
  return OK;
}

// EXEC
function exec(ctx: CommandContext): Reply {
  const client = clientOf(ctx);
  if (client === undefined) return needsClient("exec");
  const transaction = client.multi;
  if (transaction === null) return new ErrorReply("ERR EXEC without MULTI");
  if (transaction.failed) {
    client.discardMulti();
    return new ErrorReply("EXECABORT Transaction discarded because of previous errors.");
  }
  const core = ctx.core;
  const invalid = client.transactionInvalid((db, keyText) => {
    const key = new Uint8Array(keyText.length);
    for (let i = 0; i < keyText.length; i++) key[i] = keyText.charCodeAt(i);
    return core.x.ks_find(db, core.stage1(key), key.length, LOOKUP_NOTOUCH) !== 0;
  });
  if (invalid) {
    client.discardMulti();
    return NullArray.instance;
  }
  client.multi = null;
  client.inExec = true;
  const replies: Reply[] = [];
  try {
    for (const { def, args } of transaction.queue) replies.push(client.refusedAtExec(def, args) ?? ctx.engine.run(ctx.session, def, args));
  } finally {
    client.inExec = false;
    client.unwatchAll();
  }
  return replies;
}

// DISCARD
function discard(ctx: CommandContext): Reply {
  const client = clientOf(ctx);
  if (client === undefined) return needsClient("discard");
  if (client.multi === null) return new ErrorReply("ERR DISCARD without MULTI");
  client.discardMulti();
  return OK;
}

// WATCH key [key ...]
function watch(ctx: CommandContext, args: Uint8Array[]): Reply {
  const client = clientOf(ctx);
  if (client === undefined) return needsClient("watch");
  if (client.multi !== null) return new ErrorReply("ERR WATCH inside MULTI is not allowed");
  for (let i = 1; i < args.length; i++) {
    const key = args[i]!;
    client.watch(ctx.db, key, ctx.findNoTouch(key) !== 0);
  }
  return OK;
}

// UNWATCH
function unwatch(ctx: CommandContext): Reply {
  clientOf(ctx)?.unwatchAll();
  return OK;
}

const transactionFlags = ["noscript", "loading", "stale", "fast", "allow_busy"] as const;

export const transactionCommands: CommandDef[] = [
  {
    name: "multi", arity: 1, flags: [...transactionFlags], keys: [],
    acl: ["fast", "transaction"], group: "transactions", since: "1.2.0", complexity: "O(1)",
    summary: "Starts a transaction.", handler: multi,
  },
  {
    name: "exec", arity: 1, flags: ["noscript", "loading", "stale", "skip_slowlog"], keys: [],
    acl: ["slow", "transaction"], group: "transactions", since: "1.2.0", complexity: "Depends on commands in the transaction",
    summary: "Executes all commands in a transaction.", handler: exec,
  },
  {
    name: "discard", arity: 1, flags: [...transactionFlags], keys: [],
    acl: ["fast", "transaction"], group: "transactions", since: "2.0.0", complexity: "O(N), when N is the number of queued commands",
    summary: "Discards a transaction.", handler: discard,
  },
  {
    name: "watch", arity: -2, flags: [...transactionFlags], keys: [range(1, -1)],
    acl: ["fast", "transaction"], group: "transactions", since: "2.2.0", complexity: "O(1) for every key.",
    summary: "Monitors changes to keys to determine the execution of a transaction.", handler: watch,
  },
  {
    name: "unwatch", arity: 1, flags: [...transactionFlags], keys: [],
    acl: ["fast", "transaction"], group: "transactions", since: "2.2.0", complexity: "O(1)",
    summary: "Forgets about watched keys of a transaction.", handler: unwatch,
  },
];
