// Connection commands that need nothing from a network host: PING and ECHO.
// (HELLO, QUIT, CLIENT, AUTH live with the hosts that have connections.)

import type { CommandContext } from "../context.ts";
import type { CommandDef } from "./spec.ts";
import { Errors, PONG, type Reply } from "../reply.ts";
import { utf8 } from "../bytes.ts";

// PING [message]
function ping(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 2) return Errors.wrongArity("ping");
  const client = ctx.session.client;
  // A RESP2 subscriber gets PING's answer in the shape of a message.
  if (client !== undefined && ctx.session.protocol === 2 && client.subscriptionCount > 0) {
    return [utf8("pong"), args[1] ?? new Uint8Array(0)];
  }
  return args.length === 2 ? args[1]! : PONG;
}

// ECHO message
function echo(_ctx: CommandContext, args: Uint8Array[]): Reply {
  return args[1]!;
}

export const connectionCommands: CommandDef[] = [
  {
    name: "ping", arity: -1, flags: ["fast"], keys: [],
    acl: ["fast", "connection"], group: "connection", since: "1.0.0", complexity: "O(1)",
    summary: "Returns the server's liveliness response.", handler: ping,
  },
  {
    name: "echo", arity: 2, flags: ["loading", "stale", "fast"], keys: [],
    acl: ["fast", "connection"], group: "connection", since: "1.0.0", complexity: "O(1)",
    summary: "Returns the given string.", handler: echo,
  },
];
