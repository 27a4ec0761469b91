// Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.
// Subscriptions belong to a client (runtime/client.ts) and are indexed in the
// engine's hub (runtime/hub.ts). Subscription replies are written one per
// channel, as pushes in RESP3 and arrays in RESP2, like Redis's.
import type { CommandContext } from "../context.ts";
import type { CommandDef } from "./spec.ts";
import { ErrorReply, SimpleString, type Reply } from "../reply.ts";
import { ascii } from "../bytes.ts";
import { globMatch } from "../glob.ts";
import type { Client } from "../client.ts";

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function requireClient(ctx: CommandContext): Client | ErrorReply {
  return ctx.session.client ?? new ErrorReply(`ERR ${ctx.name.toUpperCase()} needs a client connection`);
}

// SUBSCRIBE channel [channel ...]
function subscribe(ctx: CommandContext, args: Uint8Array[]): Reply {
  const client = requireClient(ctx);
  if (client instanceof ErrorReply) return client;
  client.repliedItself();
  for (let i = 1; i < args.length; i++) {
    if (ctx.engine.hub.subscribe(client, args[i]!)) client.channels.add(ascii(args[i]!));
    client.push(client.subscriptionReply("subscribe", args[i]!));
  }
  return null;
}

// PSUBSCRIBE pattern [pattern ...]
function psubscribe(ctx: CommandContext, args: Uint8Array[]): Reply {
  const client = requireClient(ctx);
  if (client instanceof ErrorReply) return client;
  client.repliedItself();
  for (let i = 1; i < args.length; i++) {
    if (ctx.engine.hub.psubscribe(client, args[i]!)) client.patterns.add(ascii(args[i]!));
    client.push(client.subscriptionReply("psubscribe", args[i]!));
  }
  return null;
}

function unsubscribeFrom(ctx: CommandContext, args: Uint8Array[], kind: "unsubscribe" | "punsubscribe"): Reply {
  const client = requireClient(ctx);
  if (client instanceof ErrorReply) return client;
  client.repliedItself();
  const hub = ctx.engine.hub;
  const mine = kind === "unsubscribe" ? client.channels : client.patterns;
  const drop = (name: string) => {
    if (kind === "unsubscribe") hub.unsubscribe(client, name);
    else hub.punsubscribe(client, name);
    mine.delete(name);
  };
  if (args.length === 1) {
    if (mine.size === 0) client.push(client.subscriptionReply(kind, null));
    for (const name of [...mine]) {
      drop(name);
      client.push(client.subscriptionReply(kind, latin1Bytes(name)));
    }
  } else {
    for (let i = 1; i < args.length; i++) {
      drop(ascii(args[i]!));
      client.push(client.subscriptionReply(kind, args[i]!));
    }
  }
  return null;
}

// PUBLISH channel message
function publish(ctx: CommandContext, args: Uint8Array[]): Reply {
  return ctx.engine.hub.publish(args[1]!, args[2]!);
}

// PUBSUB CHANNELS [pattern]
function pubsubChannels(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 3) return new ErrorReply("ERR wrong number of arguments for 'pubsub|channels' command");
  const pattern = args[2];
  const out: Uint8Array[] = [];
  for (const name of ctx.engine.hub.channels.keys()) {
    const bytes = latin1Bytes(name);
    if (pattern === undefined || globMatch(pattern, bytes)) out.push(bytes);
  }
  return out;
}

// PUBSUB NUMSUB [channel ...]
function pubsubNumsub(ctx: CommandContext, args: Uint8Array[]): Reply {
  const out: Reply[] = [];
  for (let i = 2; i < args.length; i++) {
    out.push(args[i]!, ctx.engine.hub.channels.get(ascii(args[i]!))?.size ?? 0);
  }
  return out;
}

// PUBSUB SHARDNUMSUB [shardchannel ...] — sharded pub/sub is a cluster feature: no subscribers here.
function pubsubShardNumsub(_ctx: CommandContext, args: Uint8Array[]): Reply {
  const out: Reply[] = [];
  for (let i = 2; i < args.length; i++) out.push(args[i]!, 0);
  return out;
}

// PUBSUB NUMPAT
function pubsubNumpat(ctx: CommandContext): Reply {
  return ctx.engine.hub.patterns.size;
}

const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
];

function pubsubHelp(): Reply {
  return PUBSUB_HELP.map((line) => new SimpleString(line));
}

const subscribeFlags = ["pubsub", "noscript", "loading", "stale"] as const;

export const pubsubCommands: CommandDef[] = [
  {
    name: "subscribe", arity: -2, flags: [...subscribeFlags], keys: [],
    acl: ["pubsub", "slow"], group: "pubsub", since: "2.0.0", complexity: "O(N) where N is the number of channels to subscribe to.",
    summary: "Listens for messages published to channels.", handler: subscribe,
  },
  {
    name: "unsubscribe", arity: -1, flags: [...subscribeFlags], keys: [],
    acl: ["pubsub", "slow"], group: "pubsub", since: "2.0.0", complexity: "O(N) where N is the number of channels to unsubscribe.",
    summary: "Stops listening to messages posted to channels.", handler: (ctx, args) => unsubscribeFrom(ctx, args, "unsubscribe"),
  },
  {
    name: "psubscribe", arity: -2, flags: [...subscribeFlags], keys: [],
    acl: ["pubsub", "slow"], group: "pubsub", since: "2.0.0", complexity: "O(N) where N is the number of patterns to subscribe to.",
    summary: "Listens for messages published to channels that match one or more patterns.", handler: psubscribe,
  },
  {
    name: "punsubscribe", arity: -1, flags: [...subscribeFlags], keys: [],
    acl: ["pubsub", "slow"], group: "pubsub", since: "2.0.0", complexity: "O(N) where N is the number of patterns to unsubscribe.",
    summary: "Stops listening to messages published to channels that match one or more patterns.", handler: (ctx, args) => unsubscribeFrom(ctx, args, "punsubscribe"),
  },
  {
    name: "publish", arity: 3, flags: ["pubsub", "loading", "stale", "fast", "may_replicate"], keys: [],
    acl: ["pubsub", "fast"], group: "pubsub", since: "2.0.0", complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
    summary: "Posts a message to a channel.", handler: publish,
  },
  {
    name: "pubsub", arity: -2, flags: [], keys: [],
    acl: ["slow"], group: "pubsub", since: "2.8.0", complexity: "Depends on subcommand.",
    summary: "A container for Pub/Sub commands.", handler: () => null,
    subcommands: [
      {
        name: "pubsub|channels", arity: -2, flags: ["pubsub", "loading", "stale"], keys: [],
        acl: ["pubsub", "slow"], group: "pubsub", since: "2.8.0", complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        summary: "Returns the active channels.", handler: pubsubChannels,
      },
      {
        name: "pubsub|numsub", arity: -2, flags: ["pubsub", "loading", "stale"], keys: [],
        acl: ["pubsub", "slow"], group: "pubsub", since: "2.8.0", complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        summary: "Returns a count of subscribers to channels.", handler: pubsubNumsub,
      },
      {
        name: "pubsub|numpat", arity: 2, flags: ["pubsub", "loading", "stale"], keys: [],
        acl: ["pubsub", "slow"], group: "pubsub", since: "2.8.0", complexity: "O(1)",
        summary: "Returns a count of unique pattern subscriptions.", handler: pubsubNumpat,
      },
      {
        name: "pubsub|shardchannels", arity: -2, flags: ["pubsub", "loading", "stale"], keys: [],
        acl: ["pubsub", "slow"], group: "pubsub", since: "7.0.0", complexity: "",
        summary: "Returns the active shard channels.", handler: () => [],
      },
      {
        name: "pubsub|shardnumsub", arity: -2, flags: ["pubsub", "loading", "stale"], keys: [],
        acl: ["pubsub", "slow"], group: "pubsub", since: "7.0.0", complexity: "",
        summary: "Returns the count of subscribers of shard channels.", handler: pubsubShardNumsub,
      },
      {
        name: "pubsub|help", arity: 2, flags: ["loading", "stale"], keys: [],
        acl: ["slow"], group: "pubsub", since: "6.2.0", complexity: "O(1)",
        summary: "Returns helpful text about the different subcommands.", handler: pubsubHelp,
      },
    ],
  },
];
