// Blocking pops: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP.
//
// Each is its non-blocking twin (LPOP, LMOVE, LMPOP, ZPOPMIN, ZMPOP...) run
// through the engine, plus waiting: if the twin finds something, that is the
// answer and the twin's effect record is what the log gets (as Redis
// propagates an unblocked BLPOP as an LPOP). If it finds nothing, the client
// blocks on the keys (runtime/client.ts) and the same twin is tried again on
// each key a write makes ready, in the order clients blocked. Inside MULTI,
// or where the host cannot wait, nothing found means a null reply at once.
import type { CommandContext } from "../context.ts";
import { keynum, range, type CommandDef } from "./spec.ts";
import { ErrorReply, NullArray, type Reply } from "../reply.ts";
import { lowerAscii, utf8 } from "../bytes.ts";
import { parseLong } from "../numbers.ts";
import { slotName } from "../hub.ts";

const LLONG_MAX = 9223372036854775807;
const TIMEOUT_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?inf(?:inity)?$/i;

/**
 * Redis 7.0's getTimeoutFromObjectOrReply for seconds: a float; milliseconds
 * beyond LLONG_MAX overflow the conversion to a negative number in Redis, so
 * they are "negative" here too.
 */
function parseTimeoutMs(arg: Uint8Array): number | ErrorReply {
  let s = "";
  for (const b of arg) s += String.fromCharCode(b);
  if (!TIMEOUT_PATTERN.test(s)) return new ErrorReply("ERR timeout is not a float or out of range");
  const ms = Number(s.replace(/inf(inity)?$/i, "Infinity")) * 1000;
  if (ms < 0 || ms >= LLONG_MAX) return new ErrorReply("ERR timeout is negative");
  return Math.ceil(ms);
}

/** Nothing found, in any of the shapes the twins use for it. */
function isEmpty(reply: Reply): boolean {
  return reply === null || reply instanceof NullArray || (Array.isArray(reply) && reply.length === 0);
}

interface BlockingPlan {
  keys: Uint8Array[];
  /** Runs the twin for one key; null when it found nothing. */
  attempt: (key: Uint8Array) => Reply | null;
}

/** Tries each key now; answers, or blocks the client, or answers null where blocking is impossible. */
function blockOrReply(ctx: CommandContext, plan: BlockingPlan, timeoutMs: number): Reply {
  for (const key of plan.keys) {
    const reply = plan.attempt(key);
    if (reply !== null) return reply;
  }
  return block(ctx, plan, timeoutMs);
}

/** Blocks the client on the plan's keys (or answers null where it cannot wait). */
function block(ctx: CommandContext, plan: BlockingPlan, timeoutMs: number): Reply {
  const client = ctx.session.client;
  if (client === undefined || client.inExec || !client.mayBlock) return NullArray.instance;
  client.block({ slots: plan.keys.map((k) => slotName(ctx.db, k)), attempt: plan.attempt }, timeoutMs);
  return NullArray.instance;
}

/** A plan whose attempt runs a one-key pop twin; an error (the key changed type) counts as nothing found. */
function popPlan(ctx: CommandContext, keys: Uint8Array[], popName: string, withKey: (key: Uint8Array, r: Reply) => Reply): BlockingPlan {
  const session = ctx.session;
  const pop = utf8(popName);
  return {
    keys,
    attempt: (key) => {
      const r = ctx.engine.execute(session, [pop, key]);
      if (r instanceof ErrorReply) return r;
      return isEmpty(r) ? null : withKey(key, r);
    },
  };
}

// BLPOP / BRPOP key [key ...] timeout
function blockingListPop(popName: string) {
  return (ctx: CommandContext, args: Uint8Array[]): Reply => {
    const timeout = parseTimeoutMs(args[args.length - 1]!);
    if (timeout instanceof ErrorReply) return timeout;
    const keys = args.slice(1, -1);
    return blockOrReply(ctx, popPlan(ctx, keys, popName, (key, value) => [key, value]), timeout);
  };
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout
function blockingZsetPop(popName: string) {
  return (ctx: CommandContext, args: Uint8Array[]): Reply => {
    const timeout = parseTimeoutMs(args[args.length - 1]!);
    if (timeout instanceof ErrorReply) return timeout;
    const keys = args.slice(1, -1);
    return blockOrReply(ctx, popPlan(ctx, keys, popName, (key, pair) => [key, ...(pair as Reply[])]), timeout);
  };
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
function blmove(ctx: CommandContext, args: Uint8Array[]): Reply {
  const from = lowerAscii(args[3]!);
  const to = lowerAscii(args[4]!);
  if ((from !== "left" && from !== "right") || (to !== "left" && to !== "right")) return new ErrorReply("ERR syntax error");
  const timeout = parseTimeoutMs(args[5]!);
  if (timeout instanceof ErrorReply) return timeout;
  return blockingMove(ctx, [utf8("LMOVE"), args[1]!, args[2]!, args[3]!, args[4]!], timeout);
}

// BRPOPLPUSH source destination timeout
function brpoplpush(ctx: CommandContext, args: Uint8Array[]): Reply {
  const timeout = parseTimeoutMs(args[3]!);
  if (timeout instanceof ErrorReply) return timeout;
  return blockingMove(ctx, [utf8("RPOPLPUSH"), args[1]!, args[2]!], timeout);
}

function blockingMove(ctx: CommandContext, twinArgs: Uint8Array[], timeoutMs: number): Reply {
  const session = ctx.session;
  return blockOrReply(ctx, {
    keys: [twinArgs[1]!],
    attempt: () => {
      const r = ctx.engine.execute(session, twinArgs);
      return isEmpty(r) ? null : r;
    },
  }, timeoutMs);
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
function blockingMultiPop(twinName: string) {
  return (ctx: CommandContext, args: Uint8Array[]): Reply => {
    const timeout = parseTimeoutMs(args[1]!);
    if (timeout instanceof ErrorReply) return timeout;
    const session = ctx.session;
    const name = utf8(twinName);
    const rest = args.slice(2);
    // The twin validates every argument and tries all keys in order.
    const first = ctx.engine.execute(session, [name, ...rest]);
    if (first instanceof ErrorReply || !isEmpty(first)) return first;
    const numkeys = parseLong(rest[0]!) ?? 0;
    const keys = rest.slice(1, 1 + numkeys);
    const options = rest.slice(1 + numkeys);
    return block(ctx, {
      keys,
      attempt: (key) => {
        const r = ctx.engine.execute(session, [name, utf8("1"), key, ...options]);
        return isEmpty(r) ? null : r;
      },
    }, timeout);
  };
}

const blockingFlags = ["write", "noscript", "blocking"] as const;

export const blockingCommands: CommandDef[] = [
  {
    name: "blpop", arity: -3, flags: [...blockingFlags], keys: [range(1, -2)],
    acl: ["write", "list", "slow", "blocking"], group: "list", since: "2.0.0", complexity: "O(N) where N is the number of provided keys.",
    summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
    handler: blockingListPop("LPOP"),
  },
  {
    name: "brpop", arity: -3, flags: [...blockingFlags], keys: [range(1, -2)],
    acl: ["write", "list", "slow", "blocking"], group: "list", since: "2.0.0", complexity: "O(N) where N is the number of provided keys.",
    summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
    handler: blockingListPop("RPOP"),
  },
  {
    name: "blmove", arity: 6, flags: ["write", "denyoom", "noscript", "blocking"], keys: [range(1, 1), range(2, 2)],
    acl: ["write", "list", "slow", "blocking"], group: "list", since: "6.2.0", complexity: "O(1)",
    summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.",
    handler: blmove,
  },
  {
    name: "brpoplpush", arity: 4, flags: ["write", "denyoom", "noscript", "blocking"], keys: [range(1, 1), range(2, 2)],
    acl: ["write", "list", "slow", "blocking"], group: "list", since: "2.2.0", complexity: "O(1)",
    summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.",
    handler: brpoplpush,
  },
  {
    name: "blmpop", arity: -5, flags: ["write", "blocking"], keys: [keynum(2, 1)],
    acl: ["write", "list", "slow", "blocking"], group: "list", since: "7.0.0", complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
    handler: blockingMultiPop("LMPOP"),
  },
  {
    name: "bzpopmin", arity: -3, flags: ["write", "noscript", "blocking", "fast"], keys: [range(1, -2)],
    acl: ["write", "sortedset", "fast", "blocking"], group: "sorted_set", since: "5.0.0", complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    summary: "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
    handler: blockingZsetPop("ZPOPMIN"),
  },
  {
    name: "bzpopmax", arity: -3, flags: ["write", "noscript", "blocking", "fast"], keys: [range(1, -2)],
    acl: ["write", "sortedset", "fast", "blocking"], group: "sorted_set", since: "5.0.0", complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    summary: "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.",
    handler: blockingZsetPop("ZPOPMAX"),
  },
  {
    name: "bzmpop", arity: -5, flags: ["write", "blocking"], keys: [keynum(2, 1)],
    acl: ["write", "sortedset", "slow", "blocking"], group: "sorted_set", since: "7.0.0", complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
    summary: "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
    handler: blockingMultiPop("ZMPOP"),
  },
];
