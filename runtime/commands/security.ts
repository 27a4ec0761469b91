// Security commands: AUTH, HELLO (with its AUTH option) and ACL. They run in
// the runtime so that every host (the Node server, a Worker's WebSocket)
// authenticates connections the same way; the users and the checks live in
// runtime/acl.ts, the per-connection state (who is logged in) in
// runtime/client.ts.

import type { CommandContext } from "../context.ts";
import type { CommandDef, CommandFlag } from "./spec.ts";
import { DoubleReply, ErrorReply, Errors, MapReply, OK, SetReply, SimpleString, type Reply } from "../reply.ts";
import { lowerAscii, utf8 } from "../bytes.ts";
import { parseLong } from "../numbers.ts";
import {
  aclCommandOf, checkCommand, DENIED_AUTH, DENIED_CMD, DENIED_KEY, latin1, latin1Bytes, NO_ACL_FILE, REASON_NAMES, WRONGPASS,
  type AclUser, type Selector,
} from "../acl.ts";
import { ACL_CATEGORIES } from "./command.ts";

/** The Redis version Trireme answers as (HELLO, INFO). */
export const REDIS_VERSION = "7.0.15";

const bulk = utf8;

/** addReplySubcommandSyntaxError: a subcommand given more arguments than it takes. */
function subcommandSyntaxError(args: Uint8Array[]): ErrorReply {
  return error(`ERR unknown subcommand or wrong number of arguments for '${latin1(args[1]!).slice(0, 128)}'. Try ACL HELP.`);
}

/** An error whose text may carry user input: Redis turns newlines into spaces. */
function error(text: string): ErrorReply {
  return new ErrorReply(text.replace(/[\r\n]/g, " "));
}

function inTransaction(ctx: CommandContext): boolean {
  const client = ctx.session.client;
  return client !== undefined && (client.multi !== null || client.inExec);
}

/**
 * ACLAuthenticateUser: logs the connection in as the user, or records the
 * failed attempt in ACL LOG. Returns whether the credentials were right.
 */
function authenticate(ctx: CommandContext, args: Uint8Array[], username: Uint8Array, password: Uint8Array): boolean {
  const acl = ctx.engine.acl;
  const user = acl.authenticate(username, password);
  const client = ctx.session.client;
  if (user !== null) {
    client?.authenticateAs(user);
    return true;
  }
  acl.addLogEntry({
    reason: DENIED_AUTH, context: inTransaction(ctx) ? "multi" : "toplevel", object: latin1(args[0]!),
    username: latin1(username), clientInfo: client?.describe() ?? "",
  });
  return false;
}

// AUTH [username] password
function auth(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 3) return Errors.syntax;
  let username: Uint8Array;
  let password: Uint8Array;
  if (args.length === 2) {
    if (ctx.engine.acl.defaultUser.nopass) {
      return new ErrorReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    }
    username = bulk("default");
    password = args[1]!;
  } else {
    username = args[1]!;
    password = args[2]!;
  }
  return authenticate(ctx, args, username, password) ? OK : new ErrorReply(WRONGPASS);
}

/** Redis's clientSetName check: printable ASCII without spaces. */
function validClientName(name: Uint8Array): boolean {
  for (const c of name) if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
function hello(ctx: CommandContext, args: Uint8Array[]): Reply {
  const client = ctx.session.client;
  let version = 0;
  let next = 1;
  if (args.length >= 2) {
    const v = parseLong(args[next++]!);
    if (v === null) return new ErrorReply("ERR Protocol version is not an integer or out of range");
    if (v < 2 || v > 3) return new ErrorReply("NOPROTO unsupported protocol version");
    version = v;
  }
  let username: Uint8Array | null = null;
  let password: Uint8Array | null = null;
  let clientName: Uint8Array | null = null;
  for (let j = next; j < args.length; j++) {
    const moreArgs = args.length - 1 - j;
    const option = lowerAscii(args[j]!);
    if (option === "auth" && moreArgs >= 2) {
      username = args[j + 1]!;
      password = args[j + 2]!;
      j += 2;
    } else if (option === "setname" && moreArgs >= 1) {
      clientName = args[j + 1]!;
      j++;
    } else {
      return error(`ERR Syntax error in HELLO option '${latin1(args[j]!)}'`);
    }
  }
  if (username !== null && password !== null && !authenticate(ctx, args, username, password)) {
    return new ErrorReply(WRONGPASS);
  }
  if (client !== undefined && !client.authenticated) {
    return new ErrorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
  }
  if (clientName !== null) {
    if (!validClientName(clientName)) return new ErrorReply("ERR Client names cannot contain spaces, newlines or special characters.");
    if (client !== undefined) client.name = latin1(clientName);
  }
  if (version !== 0) ctx.session.protocol = version as 2 | 3;
  return new MapReply([
    [bulk("server"), bulk("redis")],
    [bulk("version"), bulk(REDIS_VERSION)],
    [bulk("proto"), ctx.session.protocol],
    [bulk("id"), client?.id ?? 0],
    [bulk("mode"), bulk("standalone")],
    [bulk("role"), bulk("master")],
    [bulk("modules"), []],
  ]);
}

// ---- ACL ---------------------------------------------------------------------

const text = (s: string) => latin1Bytes(s);

// ACL SETUSER username [rule ...]
function aclSetUser(ctx: CommandContext, args: Uint8Array[]): Reply {
  const failure = ctx.engine.acl.setUser(latin1(args[2]!), args.slice(3).map(latin1));
  return failure === null ? OK : error(failure);
}

// ACL DELUSER username [username ...]
function aclDelUser(ctx: CommandContext, args: Uint8Array[]): Reply {
  const result = ctx.engine.acl.deleteUsers(args.slice(2).map(latin1));
  return typeof result === "number" ? result : error(result);
}

function selectorFields(s: Selector): Array<[Reply, Reply]> {
  return [
    [bulk("commands"), text(s.describeCommands())],
    [bulk("keys"), text(s.keysText())],
    [bulk("channels"), text(s.channelsText())],
  ];
}

// ACL GETUSER username
function aclGetUser(ctx: CommandContext, args: Uint8Array[]): Reply {
  const user = ctx.engine.acl.user(latin1(args[2]!));
  if (user === undefined) return null;
  return new MapReply([
    [bulk("flags"), new SetReply(user.flagNames().map(bulk))],
    [bulk("passwords"), user.passwords.map(bulk)],
    ...selectorFields(user.rootSelector),
    [bulk("selectors"), user.selectors.slice(1).map((s) => new MapReply(selectorFields(s)))],
  ]);
}

function userLine(user: AclUser): Uint8Array {
  return text(`user ${user.name} ${user.describe()}`);
}

// ACL LIST
function aclList(ctx: CommandContext): Reply {
  return ctx.engine.acl.allUsers().map(userLine);
}

// ACL USERS
function aclUsers(ctx: CommandContext): Reply {
  return ctx.engine.acl.allUsers().map((u) => text(u.name));
}

// ACL WHOAMI
function aclWhoami(ctx: CommandContext): Reply {
  return text(ctx.session.client?.user.name ?? "default");
}

// ACL CAT [category]
function aclCat(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 3) return subcommandSyntaxError(args);
  if (args.length === 2) return ACL_CATEGORIES.map(bulk);
  const category = ACL_CATEGORIES.indexOf(lowerAscii(args[2]!));
  if (category < 0) return error(`ERR Unknown category '${latin1(args[2]!).slice(0, 128)}'`);
  const flag = 1 << category;
  const names: Uint8Array[] = [];
  const walk = (defs: readonly CommandDef[]) => {
    for (const def of defs) {
      if (((aclCommandOf(def)?.categories ?? 0) & flag) !== 0) names.push(bulk(def.name));
      if (def.subcommands !== undefined) walk(def.subcommands);
    }
  };
  walk([...ctx.engine.commands.values()]);
  return names;
}

const GENPASS_MAX_BITS = 4096;

// ACL GENPASS [bits]
function aclGenpass(_ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 3) return subcommandSyntaxError(args);
  let bits = 256;
  if (args.length === 3) {
    const n = parseLong(args[2]!);
    if (n === null) return Errors.notInteger;
    bits = n;
  }
  if (bits <= 0 || bits > GENPASS_MAX_BITS) {
    return new ErrorReply(`ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${GENPASS_MAX_BITS}`);
  }
  const chars = Math.floor((bits + 3) / 4);
  const random = new Uint8Array(Math.ceil(chars / 2));
  crypto.getRandomValues(random);
  let hex = "";
  for (const b of random) hex += b.toString(16).padStart(2, "0");
  return bulk(hex.slice(0, chars));
}

// ACL LOG [count | RESET]
function aclLog(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 3) return subcommandSyntaxError(args);
  const acl = ctx.engine.acl;
  let count = 10;
  if (args.length === 3) {
    if (lowerAscii(args[2]!) === "reset") {
      acl.resetLog();
      return OK;
    }
    const n = parseLong(args[2]!);
    if (n === null) return Errors.notInteger;
    count = Math.max(n, 0);
  }
  return acl.logEntries(count).map((e) => new MapReply([
    [bulk("count"), e.count],
    [bulk("reason"), bulk(REASON_NAMES[e.reason])],
    [bulk("context"), bulk(e.context)],
    [bulk("object"), text(e.object)],
    [bulk("username"), text(e.username)],
    [bulk("age-seconds"), new DoubleReply(acl.ageSeconds(e))],
    [bulk("client-info"), text(e.clientInfo)],
  ]));
}

// ACL DRYRUN username command [arg ...]
function aclDryrun(ctx: CommandContext, args: Uint8Array[]): Reply {
  const user = ctx.engine.acl.user(latin1(args[2]!));
  if (user === undefined) return error(`ERR User '${latin1(args[2]!)}' not found`);
  const call = args.slice(3);
  const def = ctx.engine.lookup(call);
  if (def === undefined) return error(`ERR Command '${latin1(args[3]!)}' not found`);
  if ((def.arity > 0 && def.arity !== call.length) || call.length < -def.arity) return Errors.wrongArity(def.name);
  const refusal = checkCommand(user, def, call);
  if (refusal === null) return OK;
  if (refusal.reason === DENIED_CMD) return text(`This user has no permissions to run the '${def.name}' command`);
  const object = latin1(call[refusal.position]!);
  if (refusal.reason === DENIED_KEY) return text(`This user has no permissions to access the '${object}' key`);
  return text(`This user has no permissions to access the '${object}' channel`);
}

// ACL LOAD
function aclLoad(ctx: CommandContext): Reply {
  const acl = ctx.engine.acl;
  if (acl.aclFile === "") return new ErrorReply(NO_ACL_FILE);
  const errors = acl.loadFile();
  return errors === null ? OK : error(`ERR ${errors}`);
}

// ACL SAVE
function aclSave(ctx: CommandContext): Reply {
  const failure = ctx.engine.acl.save();
  return failure === null ? OK : new ErrorReply(failure);
}

const HELP_LINES = [
  "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CAT [<category>]",
  "    List all commands that belong to <category>, or all command categories",
  "    when no category is specified.",
  "DELUSER <username> [<username> ...]",
  "    Delete a list of users.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Returns whether the user can execute the given command without executing the command.",
  "GETUSER <username>",
  "    Get the user's details.",
  "GENPASS [<bits>]",
  "    Generate a secure 256-bit user password. The optional `bits` argument can",
  "    be used to specify a different size.",
  "LIST",
  "    Show users details in config file format.",
  "LOAD",
  "    Reload users from the ACL file.",
  "LOG [<count> | RESET]",
  "    Show the ACL log entries.",
  "SAVE",
  "    Save the current config to the ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Create or modify a user with the specified attributes.",
  "USERS",
  "    List all the registered usernames.",
  "WHOAMI",
  "    Return the current connection username.",
  "HELP",
  "    Prints this help.",
];

// ACL HELP
function aclHelp(): Reply {
  return HELP_LINES.map((line) => new SimpleString(line));
}

const ADMIN: readonly CommandFlag[] = ["admin", "noscript", "loading", "stale"];
const PLAIN: readonly CommandFlag[] = ["noscript", "loading", "stale"];
const CONNECTION: readonly CommandFlag[] = ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"];

const sub = (def: Omit<CommandDef, "keys" | "acl" | "group" | "since"> & { since?: string }): CommandDef =>
  ({ keys: [], acl: [], group: "server", since: "6.0.0", ...def });

export const securityCommands: CommandDef[] = [
  {
    name: "auth", arity: -2, flags: CONNECTION, keys: [], acl: ["fast", "connection"], group: "connection",
    since: "1.0.0", complexity: "O(N) where N is the number of passwords defined for the user",
    summary: "Authenticate to the server", handler: auth,
  },
  {
    name: "hello", arity: -1, flags: CONNECTION, keys: [], acl: ["fast", "connection"], group: "connection",
    since: "6.0.0", complexity: "O(1)", summary: "Handshake with Redis", handler: hello,
  },
  {
    name: "acl", arity: -2, flags: [], keys: [], acl: ["slow"], group: "server", since: "6.0.0",
    complexity: "Depends on subcommand.", summary: "A container for Access List Control commands ",
    handler: () => Errors.wrongArity("acl"),
    subcommands: [
      sub({ name: "acl|cat", arity: -2, flags: PLAIN, complexity: "O(1) since the categories and commands are a fixed set.",
        summary: "List the ACL categories or the commands inside a category", handler: aclCat }),
      sub({ name: "acl|deluser", arity: -3, flags: ADMIN, complexity: "O(1) amortized time considering the typical user.",
        summary: "Remove the specified ACL users and the associated rules", handler: aclDelUser }),
      sub({ name: "acl|dryrun", arity: -4, flags: ADMIN, complexity: "O(1).", since: "7.0.0",
        summary: "Returns whether the user can execute the given command without executing the command.", handler: aclDryrun }),
      sub({ name: "acl|genpass", arity: -2, flags: PLAIN, complexity: "O(1)",
        summary: "Generate a pseudorandom secure password to use for ACL users", handler: aclGenpass }),
      sub({ name: "acl|getuser", arity: 3, flags: ADMIN,
        complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
        summary: "Get the rules for a specific ACL user", handler: aclGetUser }),
      sub({ name: "acl|help", arity: 2, flags: ["loading", "stale"], complexity: "O(1)",
        summary: "Show helpful text about the different subcommands", handler: aclHelp }),
      sub({ name: "acl|list", arity: 2, flags: ADMIN, complexity: "O(N). Where N is the number of configured users.",
        summary: "List the current ACL rules in ACL config file format", handler: aclList }),
      sub({ name: "acl|load", arity: 2, flags: ADMIN, complexity: "O(N). Where N is the number of configured users.",
        summary: "Reload the ACLs from the configured ACL file", handler: aclLoad }),
      sub({ name: "acl|log", arity: -2, flags: ADMIN, complexity: "O(N) with N being the number of entries shown.",
        summary: "List latest events denied because of ACLs in place", handler: aclLog }),
      sub({ name: "acl|save", arity: 2, flags: ADMIN, complexity: "O(N). Where N is the number of configured users.",
        summary: "Save the current ACL rules in the configured ACL file", handler: aclSave }),
      sub({ name: "acl|setuser", arity: -3, flags: ADMIN, complexity: "O(N). Where N is the number of rules provided.",
        summary: "Modify or create the rules for a specific ACL user", handler: aclSetUser }),
      sub({ name: "acl|users", arity: 2, flags: ADMIN, complexity: "O(N). Where N is the number of configured users.",
        summary: "List the username of all the configured ACL rules", handler: aclUsers }),
      sub({ name: "acl|whoami", arity: 2, flags: PLAIN, complexity: "O(1)",
        summary: "Return the name of the user associated to the current connection", handler: aclWhoami }),
    ],
  },
];
