// Access control, as Redis 7.0's ACL: users, their passwords, and what each
// may run (commands), touch (keys) and hear (pub/sub channels).
//
// A user has flags (on/off, nopass, sanitize-payload), a list of password
// hashes (SHA-256 hex, never the passwords), and one or more selectors. The
// first selector is the user's own ("root") rules; the others come from
// `(...)` rules. A command is allowed when any one selector allows all of
// it: the command itself, every key it names (read or write access, from
// the key specs' flags), and every channel it publishes or subscribes to.
//
// A selector's commands are a bit per command and subcommand of the command
// table (runtime/commands/table.ts), plus one reserved bit meaning "commands
// added later" that only +@all sets, exactly as Redis keeps them. Rules are
// applied in order, so `+@all -get +@read` ends with GET allowed again. When
// Redis shows a user (ACL LIST, GETUSER, the ACL file) it does not replay
// the rules as typed: it describes the bits, starting from +@all or -@all,
// adding the categories that fit best, then single commands. That
// description is reproduced here step for step, so the same rules show the
// same text as redis-server given the same command table.
//
// Clients hold a reference to their user object; changing a user (SETUSER,
// LOAD) updates that object in place, so the change applies at once to every
// connection authenticated as that user, as in Redis. The ACL file is read
// and written through `AclFiles`, which each host implements (Node: the file
// system); hosts without files simply have none.

import type { CommandDef } from "./commands/spec.ts";
import { keysOfCall } from "./commands/spec.ts";
import { ACL_CATEGORIES, aclCategoriesOf } from "./commands/command.ts";
import { allCommands } from "./commands/table.ts";
import type { Client } from "./client.ts";
import type { Hub } from "./hub.ts";
import { globMatch } from "./glob.ts";
import { sha256Hex } from "./sha256.ts";

// ---- the command index -------------------------------------------------------

/** A command or subcommand as ACLs see it: an id (its bit) and its categories as a bitmask. */
export interface AclCommand {
  readonly id: number;
  readonly def: CommandDef;
  readonly categories: number;
  readonly parent: AclCommand | null;
  readonly subcommands: readonly AclCommand[];
}

interface CommandIndex {
  /** Top-level commands, in table order. */
  readonly top: readonly AclCommand[];
  readonly byName: ReadonlyMap<string, AclCommand>;
  readonly byDef: ReadonlyMap<CommandDef, AclCommand>;
  /** The number of ids; the id `count` is the reserved "future commands" bit. */
  readonly count: number;
}

let commandIndex: CommandIndex | undefined;

function categoryMask(def: CommandDef): number {
  let mask = 0;
  for (const name of aclCategoriesOf(def)) mask |= 1 << ACL_CATEGORIES.indexOf(name);
  return mask;
}

function index(): CommandIndex {
  if (commandIndex !== undefined) return commandIndex;
  const byName = new Map<string, AclCommand>();
  const byDef = new Map<CommandDef, AclCommand>();
  let nextId = 0;
  const make = (def: CommandDef, parent: AclCommand | null): AclCommand => {
    const subcommands: AclCommand[] = [];
    const cmd: AclCommand = { id: nextId++, def, categories: categoryMask(def), parent, subcommands };
    byName.set(def.name, cmd);
    byDef.set(def, cmd);
    for (const sub of def.subcommands ?? []) subcommands.push(make(sub, cmd));
    return cmd;
  };
  const top = allCommands.map((def) => make(def, null));
  commandIndex = { top, byName, byDef, count: nextId };
  return commandIndex;
}

/** Redis's lookupCommandBySdsLogic: "get" or "container|sub", any case; undefined if absent. */
function lookupCommand(name: string): AclCommand | undefined {
  const parts = name.toLowerCase().split("|");
  if (parts.length > 2) return undefined;
  const base = index().byName.get(parts[0]!);
  if (base === undefined || base.parent !== null) return undefined;
  if (parts.length === 1) return base;
  if (base.subcommands.length === 0) return undefined;
  return index().byName.get(`${parts[0]}|${parts[1]}`);
}

/** The ACL view of a command definition from the table. */
export function aclCommandOf(def: CommandDef): AclCommand | undefined {
  return index().byDef.get(def);
}

// ---- strings ---------------------------------------------------------------

/** Bytes as a latin1 string: one char per byte, so any bytes round-trip. */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Redis's ACLStringHasSpaces: C isspace() or a NUL byte. */
function hasSpaces(s: string): boolean {
  return /[ \t\n\v\f\r\0]/.test(s);
}

function isHashHex(s: string): boolean {
  return s.length === 64 && /^[0-9a-f]{64}$/.test(s);
}

// ---- selectors ---------------------------------------------------------------

const READ = 1;
const WRITE = 2;
const READ_WRITE = READ | WRITE;

interface Pattern {
  readonly text: string;
  readonly bytes: Uint8Array;
}

interface KeyPattern extends Pattern {
  flags: number;
}

/** Why ACLSetUser refused a rule: Redis's errno, turned into its text by `ruleErrorText`. */
type RuleError = "EINVAL" | "ENOENT" | "EEXIST" | "EISDIR" | "ENODEV" | "EBADMSG" | "ECHILD" | "EALREADY";

function ruleErrorText(error: RuleError): string {
  switch (error) {
    case "ENOENT": return "Unknown command or category name in ACL";
    case "EINVAL": return "Syntax error";
    case "EEXIST":
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case "EISDIR":
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
    case "ENODEV": return "The password you are trying to remove from the user does not exist";
    case "EBADMSG": return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
    case "EALREADY": return "Duplicate user found. A user can only be defined once in config files";
    case "ECHILD": return "Allowing first-arg of a subcommand is not supported";
  }
}

export class Selector {
  readonly root: boolean;
  allKeys = false;
  allChannels = false;
  allCommands = false;
  /** One byte per command id, and the reserved future-commands bit at index `count`. */
  allowed: Uint8Array;
  /** Allowed first arguments of otherwise denied commands (+select|0), by command id. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: Pattern[] = [];

  constructor(root: boolean) {
    this.root = root;
    this.allowed = new Uint8Array(index().count + 1);
  }

  clone(): Selector {
    const s = new Selector(this.root);
    s.allKeys = this.allKeys;
    s.allChannels = this.allChannels;
    s.allCommands = this.allCommands;
    s.allowed = this.allowed.slice();
    s.firstArgs = this.firstArgs === null ? null : new Map([...this.firstArgs].map(([id, args]) => [id, [...args]]));
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  get canRunFutureCommands(): boolean {
    return this.allowed[index().count] === 1;
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.allCommands = false;
  }

  /** Allows or denies a command, and with a container all its subcommands. */
  changePermission(cmd: AclCommand, allow: boolean): void {
    this.setBit(cmd.id, allow);
    this.firstArgs?.delete(cmd.id);
    for (const sub of cmd.subcommands) this.setBit(sub.id, allow);
  }

  private setCategory(commands: readonly AclCommand[], flag: number, allow: boolean): void {
    for (const cmd of commands) {
      if ((cmd.categories & flag) !== 0) this.changePermission(cmd, allow);
      if (cmd.subcommands.length > 0) this.setCategory(cmd.subcommands, flag, allow);
    }
  }

  /** Commands of a category this selector allows (on) and denies (off). */
  countCategory(flag: number): { on: number; off: number } {
    const counts = { on: 0, off: 0 };
    const walk = (commands: readonly AclCommand[]) => {
      for (const cmd of commands) {
        if ((cmd.categories & flag) !== 0) {
          if (this.allowed[cmd.id] === 1) counts.on++;
          else counts.off++;
        }
        walk(cmd.subcommands);
      }
    };
    walk(index().top);
    return counts;
  }

  private addFirstArg(id: number, arg: string): void {
    this.firstArgs ??= new Map();
    const list = this.firstArgs.get(id);
    if (list === undefined) {
      this.firstArgs.set(id, [arg]);
      return;
    }
    if (list.some((a) => a.toLowerCase() === arg.toLowerCase())) return;
    list.push(arg);
  }

  /** Redis's ACLSetSelector: one rule about commands, keys or channels. */
  apply(op: string): RuleError | null {
    const lower = op.toLowerCase();
    if (lower === "allkeys" || op === "~*") {
      this.allKeys = true;
      this.patterns = [];
    } else if (lower === "resetkeys") {
      this.allKeys = false;
      this.patterns = [];
    } else if (lower === "allchannels" || op === "&*") {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === "resetchannels") {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === "allcommands" || lower === "+@all") {
      this.allowed.fill(1);
      this.allCommands = true;
      this.firstArgs = null;
    } else if (lower === "nocommands" || lower === "-@all") {
      this.allowed.fill(0);
      this.allCommands = false;
      this.firstArgs = null;
    } else if (op[0] === "~" || op[0] === "%") {
      return this.addKeyPattern(op);
    } else if (op[0] === "&") {
      if (this.allChannels) return "EISDIR";
      const text = op.slice(1);
      if (hasSpaces(text)) return "EINVAL";
      if (!this.channels.some((c) => c.text === text)) this.channels.push({ text, bytes: latin1Bytes(text) });
      this.allChannels = false;
    } else if (op[0] === "+" && op[1] !== "@") {
      return this.allowCommand(op.slice(1));
    } else if (op[0] === "-" && op[1] !== "@") {
      const cmd = lookupCommand(op.slice(1));
      if (cmd === undefined) return "ENOENT";
      this.changePermission(cmd, false);
    } else if ((op[0] === "+" || op[0] === "-") && op[1] === "@") {
      const i = ACL_CATEGORIES.indexOf(lower.slice(2));
      if (i < 0) return "ENOENT";
      this.setCategory(index().top, 1 << i, op[0] === "+");
    } else {
      return "EINVAL";
    }
    return null;
  }

  private addKeyPattern(op: string): RuleError | null {
    if (this.allKeys) return "EEXIST";
    let flags = 0;
    let offset = 1;
    if (op[0] === "%") {
      for (; offset < op.length; offset++) {
        const c = op[offset]!.toUpperCase();
        if (c === "R" && (flags & READ) === 0) flags |= READ;
        else if (c === "W" && (flags & WRITE) === 0) flags |= WRITE;
        else if (op[offset] === "~") {
          offset++;
          break;
        } else return "EINVAL";
      }
      if (flags === 0) return "EINVAL";
    } else {
      flags = READ_WRITE;
    }
    const text = op.slice(offset);
    if (hasSpaces(text)) return "EINVAL";
    const existing = this.patterns.find((p) => p.text === text);
    if (existing === undefined) this.patterns.push({ text, bytes: latin1Bytes(text), flags });
    else existing.flags |= flags;
    this.allKeys = false;
    return null;
  }

  private allowCommand(name: string): RuleError | null {
    const bar = name.lastIndexOf("|");
    if (bar < 0) {
      const cmd = lookupCommand(name);
      if (cmd === undefined) return "ENOENT";
      this.changePermission(cmd, true);
      return null;
    }
    const cmd = lookupCommand(name.slice(0, bar));
    if (cmd === undefined) return "ENOENT";
    // Allowing one first argument of a subcommand is not supported.
    if (cmd.parent !== null) return "ECHILD";
    const sub = name.slice(bar + 1);
    if (sub.length === 0) return "EINVAL";
    if (cmd.subcommands.length > 0) {
      const subcommand = lookupCommand(name);
      if (subcommand === undefined) return "ENOENT";
      this.changePermission(subcommand, true);
    } else {
      // +select|0: this first argument only, of an otherwise denied command.
      this.addFirstArg(cmd.id, sub);
    }
    return null;
  }

  /** ACLDescribeSelectorCommandRules: the bits as rules, as Redis words them. */
  describeCommands(): string {
    const fake = new Selector(false);
    let rules: string;
    const additive = !this.canRunFutureCommands;
    if (additive) {
      rules = "-@all ";
      fake.apply("-@all");
    } else {
      rules = "+@all ";
      fake.apply("+@all");
    }
    // Find the categories that best fit the bits, one at a time.
    const temp = new Selector(false);
    temp.allowed = this.allowed.slice();
    const applied = new Array<boolean>(ACL_CATEGORIES.length).fill(false);
    for (;;) {
      let best = -1;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      for (let j = 0; j < ACL_CATEGORIES.length; j++) {
        if (applied[j]) continue;
        const { on, off } = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best === -1) break;
      const name = ACL_CATEGORIES[best]!;
      fake.apply(`${additive ? "+" : "-"}@${name}`);
      temp.apply(`${additive ? "-" : "+"}@${name}`);
      rules += `${additive ? "+" : "-"}@${name} `;
      applied[best] = true;
    }
    // Then the single commands that still differ.
    const single = (commands: readonly AclCommand[]) => {
      for (const cmd of commands) {
        const userBit = this.allowed[cmd.id] === 1;
        const fakeBit = fake.allowed[cmd.id] === 1;
        if (userBit !== fakeBit) {
          rules += `${userBit ? "+" : "-"}${cmd.def.name} `;
          fake.changePermission(cmd, userBit);
        }
        if (cmd.subcommands.length > 0) single(cmd.subcommands);
        const firstArgs = this.firstArgs?.get(cmd.id);
        if (!userBit && firstArgs !== undefined) {
          for (const arg of firstArgs) rules += `+${cmd.def.name}|${arg} `;
        }
      }
    };
    single(index().top);
    return rules.slice(0, -1);
  }

  /** ACLDescribeSelector: keys, channels, then commands. */
  describe(): string {
    let s = "";
    if (this.allKeys) s += "~* ";
    else for (const p of this.patterns) s += `${patternText(p)} `;
    if (this.allChannels) s += "&* ";
    else {
      s += "resetchannels ";
      for (const c of this.channels) s += `&${c.text} `;
    }
    return s + this.describeCommands();
  }

  keysText(): string {
    return this.allKeys ? "~*" : this.patterns.map(patternText).join(" ");
  }

  channelsText(): string {
    return this.allChannels ? "&*" : this.channels.map((c) => `&${c.text}`).join(" ");
  }
}

function patternText(p: KeyPattern): string {
  const prefix = p.flags === READ_WRITE ? "~" : p.flags === READ ? "%R~" : "%W~";
  return prefix + p.text;
}

// ---- users -----------------------------------------------------------------

const FLAG_ENABLED = 1;
const FLAG_DISABLED = 2;
const FLAG_NOPASS = 4;
const FLAG_SKIP_SANITIZE = 8;
const FLAG_SANITIZE = 16;
/** User flags in the order Redis shows them. */
const USER_FLAGS: ReadonlyArray<[string, number]> = [
  ["on", FLAG_ENABLED], ["off", FLAG_DISABLED], ["nopass", FLAG_NOPASS],
  ["skip-sanitize-payload", FLAG_SKIP_SANITIZE], ["sanitize-payload", FLAG_SANITIZE],
];

export class AclUser {
  readonly name: string;
  flags = FLAG_DISABLED;
  /** SHA-256 hex of each password. */
  passwords: string[] = [];
  /** The root selector first, then those of `(...)` rules. */
  selectors: Selector[] = [new Selector(true)];

  constructor(name: string) {
    this.name = name;
  }

  get enabled(): boolean {
    return (this.flags & FLAG_DISABLED) === 0;
  }

  get nopass(): boolean {
    return (this.flags & FLAG_NOPASS) !== 0;
  }

  get rootSelector(): Selector {
    return this.selectors[0]!;
  }

  /** Everything allowed, with nothing to check per command (the default user's usual state). */
  get unrestricted(): boolean {
    const root = this.selectors[0]!;
    return root.allCommands && root.allKeys && root.allChannels;
  }

  flagNames(): string[] {
    return USER_FLAGS.filter(([, flag]) => (this.flags & flag) !== 0).map(([name]) => name);
  }

  /** Takes over another user's rules (the name stays). */
  copyFrom(other: AclUser): void {
    this.flags = other.flags;
    this.passwords = [...other.passwords];
    this.selectors = other.selectors.map((s) => s.clone());
  }

  copy(name = this.name): AclUser {
    const u = new AclUser(name);
    u.copyFrom(this);
    return u;
  }

  /** Redis's ACLSetUser: one rule. */
  apply(op: string): RuleError | null {
    if (op.length === 0) return null;
    const lower = op.toLowerCase();
    if (lower === "on") {
      this.flags = (this.flags | FLAG_ENABLED) & ~FLAG_DISABLED;
    } else if (lower === "off") {
      this.flags = (this.flags | FLAG_DISABLED) & ~FLAG_ENABLED;
    } else if (lower === "skip-sanitize-payload") {
      this.flags = (this.flags | FLAG_SKIP_SANITIZE) & ~FLAG_SANITIZE;
    } else if (lower === "sanitize-payload") {
      this.flags = (this.flags | FLAG_SANITIZE) & ~FLAG_SKIP_SANITIZE;
    } else if (lower === "nopass") {
      this.flags |= FLAG_NOPASS;
      this.passwords = [];
    } else if (lower === "resetpass") {
      this.flags &= ~FLAG_NOPASS;
      this.passwords = [];
    } else if (op[0] === ">" || op[0] === "#") {
      let hash: string;
      if (op[0] === ">") hash = sha256Hex(latin1Bytes(op.slice(1)));
      else {
        hash = op.slice(1);
        if (!isHashHex(hash)) return "EBADMSG";
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags &= ~FLAG_NOPASS;
    } else if (op[0] === "<" || op[0] === "!") {
      let hash: string;
      if (op[0] === "<") hash = sha256Hex(latin1Bytes(op.slice(1)));
      else {
        hash = op.slice(1);
        if (!isHashHex(hash)) return "EBADMSG";
      }
      const i = this.passwords.indexOf(hash);
      if (i < 0) return "ENODEV";
      this.passwords.splice(i, 1);
    } else if (op[0] === "(" && op[op.length - 1] === ")") {
      const selector = new Selector(false);
      for (const inner of splitArgs(op.slice(1, -1))) {
        const error = selector.apply(inner);
        if (error !== null) return error;
      }
      this.selectors.push(selector);
    } else if (lower === "clearselectors") {
      this.selectors = [this.selectors[0]!];
    } else if (lower === "reset") {
      for (const rule of ["resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "clearselectors", "-@all"]) {
        this.apply(rule);
      }
    } else {
      return this.selectors[0]!.apply(op);
    }
    return null;
  }

  /** ACLDescribeUser: the user as rules, the way ACL LIST and the ACL file show it. */
  describe(): string {
    let s = "";
    for (const name of this.flagNames()) s += `${name} `;
    for (const hash of this.passwords) s += `#${hash} `;
    for (const selector of this.selectors) {
      if (selector.root) s += selector.describe();
      else s += ` (${selector.describe()})`;
    }
    return s;
  }

  /** Whether these credentials log in as this user. */
  checkPassword(password: Uint8Array): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    const hash = sha256Hex(password);
    let match = false;
    // Compare every hash completely, so timing says nothing about which one matched.
    for (const candidate of this.passwords) match = constantTimeEqual(hash, candidate) || match;
    return match;
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Redis's sdssplitargs, for the rules inside a selector's parentheses. */
function splitArgs(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let current = "";
    let quote: string | null = null;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (quote !== null) {
        if (c === "\\" && quote === "\"" && i + 1 < line.length) current += line[++i];
        else if (c === quote) quote = null;
        else current += c;
      } else if (c === "\"" || c === "'") quote = c;
      else if (/\s/.test(c)) break;
      else current += c;
    }
    args.push(current);
  }
  return args;
}

/**
 * ACLMergeSelectorArguments: a selector may be spread over several
 * arguments ("(~x" "+get)"); joins them. Returns the index of the argument
 * that opened an unclosed selector instead.
 */
export function mergeSelectorArguments(args: readonly string[]): string[] | { unmatched: number } {
  const merged: string[] = [];
  let open = -1;
  let selector = "";
  for (let j = 0; j < args.length; j++) {
    const op = args[j]!;
    if (op[0] === "(" && op[op.length - 1] !== ")") {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += ` ${op}`;
      if (op[op.length - 1] === ")") {
        open = -1;
        merged.push(selector);
      }
      continue;
    }
    merged.push(op);
  }
  return open !== -1 ? { unmatched: open } : merged;
}

// ---- permission checks -------------------------------------------------------

export const DENIED_CMD = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;
export type Denial = typeof DENIED_CMD | typeof DENIED_KEY | typeof DENIED_AUTH | typeof DENIED_CHANNEL;

/** Why a command was refused, and the argument (key or channel) that was refused. */
export interface AclRefusal {
  readonly reason: Denial;
  readonly position: number;
}

const CHANNEL_COMMANDS: ReadonlyMap<string, "first" | "all" | "patterns"> = new Map([
  ["publish", "first"], ["spublish", "first"], ["subscribe", "all"], ["ssubscribe", "all"], ["psubscribe", "patterns"],
]);

function hasKeys(def: CommandDef): boolean {
  return def.getKeys !== undefined || def.keys.some((k) => !(k.flags ?? []).includes("not_key"));
}

function keyFlagsOf(flags: readonly string[]): number {
  let f = 0;
  if (flags.includes("access")) f |= READ;
  if (flags.includes("insert") || flags.includes("delete") || flags.includes("update")) f |= WRITE;
  return f;
}

function channelAllowed(list: readonly Pattern[], channel: Uint8Array, literal: boolean): boolean {
  for (const p of list) {
    if (literal ? bytesEqual(p.bytes, channel) : globMatch(p.bytes, channel)) return true;
  }
  return false;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** ACLSelectorCheckCmd: null if this selector allows the call. */
function selectorRefusal(
  s: Selector, cmd: AclCommand, args: readonly Uint8Array[], keys: () => ReturnType<typeof keysOfCall>,
): AclRefusal | null {
  const def = cmd.def;
  if (!s.allCommands && !def.flags.includes("no_auth") && s.allowed[cmd.id] !== 1) {
    const firstArgs = s.firstArgs?.get(cmd.id);
    if (args.length < 2 || firstArgs === undefined) return { reason: DENIED_CMD, position: 0 };
    const arg = latin1(args[cmd.parent !== null ? 2 : 1] ?? new Uint8Array(0)).toLowerCase();
    if (!firstArgs.some((a) => a.toLowerCase() === arg)) return { reason: DENIED_CMD, position: 0 };
  }
  if (!s.allKeys && hasKeys(def)) {
    for (const key of keys() ?? []) {
      const wanted = keyFlagsOf(key.flags);
      const name = args[key.position]!;
      const ok = s.patterns.some((p) => (p.flags & wanted) === wanted && globMatch(p.bytes, name));
      if (!ok) return { reason: DENIED_KEY, position: key.position };
    }
  }
  const channelUse = s.allChannels ? undefined : CHANNEL_COMMANDS.get(def.name);
  if (channelUse !== undefined) {
    const last = channelUse === "first" ? Math.min(1, args.length - 1) : args.length - 1;
    for (let j = 1; j <= last; j++) {
      if (!channelAllowed(s.channels, args[j]!, channelUse === "patterns")) return { reason: DENIED_CHANNEL, position: j };
    }
  }
  return null;
}

/** ACLCheckAllUserCommandPerm: null if some selector of the user allows the call. */
export function checkCommand(user: AclUser, def: CommandDef, args: readonly Uint8Array[]): AclRefusal | null {
  if (user.unrestricted) return null;
  const cmd = aclCommandOf(def);
  if (cmd === undefined) return { reason: DENIED_CMD, position: 0 };
  let cached: ReturnType<typeof keysOfCall> | undefined;
  const keys = () => (cached === undefined ? (cached = keysOfCall(def, args)) : cached);
  let relevant: Denial = DENIED_CMD;
  let lastPosition = 0;
  for (const selector of user.selectors) {
    const refusal = selectorRefusal(selector, cmd, args, keys);
    if (refusal === null) return null;
    if (refusal.reason > relevant || (refusal.reason === relevant && refusal.position > lastPosition)) {
      relevant = refusal.reason;
      lastPosition = refusal.position;
    }
  }
  return { reason: relevant, position: lastPosition };
}

/** Whether the user may still hear a channel (or pattern, literally) it is subscribed to. */
function userHearsChannel(user: AclUser, channel: Uint8Array, literal: boolean): boolean {
  for (const s of user.selectors) {
    if (s.allChannels) return true;
    if (channelAllowed(s.channels, channel, literal)) return true;
  }
  return false;
}

// ---- the log -----------------------------------------------------------------

const LOG_GROUPING_MAX_TIME_DELTA_MS = 60_000;
/** How many recent entries a new event is compared with to be counted in one of them. */
const LOG_GROUPING_SCAN = 10;

export interface AclLogEntry {
  count: number;
  readonly reason: Denial;
  readonly context: "toplevel" | "multi" | "lua" | "module";
  readonly object: string;
  readonly username: string;
  createdMs: number;
  clientInfo: string;
}

export const REASON_NAMES: Record<Denial, string> = {
  [DENIED_CMD]: "command", [DENIED_KEY]: "key", [DENIED_AUTH]: "auth", [DENIED_CHANNEL]: "channel",
};

// ---- files -------------------------------------------------------------------

/**
 * The ACL file, as a host provides it. Both methods are synchronous because
 * ACL LOAD and SAVE answer in order with the commands around them. They throw
 * an `AclFileError` whose message is the system's reason ("No such file or
 * directory"), which Redis shows in its replies.
 */
export interface AclFiles {
  read(path: string): string;
  /** Replaces the file as a whole (a temporary file renamed over it). */
  write(path: string, text: string): void;
}

export class AclFileError extends Error {}

// ---- the ACL state of one server ---------------------------------------------

export const NOAUTH = "NOAUTH Authentication required.";
export const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
export const NO_ACL_FILE =
  "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

export class Acl {
  /** Users by name (latin1 of the name's bytes). */
  private users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  /** `acllog-max-len`. */
  logMaxLength = 128;
  /** Newest first. */
  private log: AclLogEntry[] = [];
  /** `aclfile`: "" when there is none. */
  aclFile = "";
  files: AclFiles | null = null;
  /** `requirepass` as last set ("" for none); CONFIG GET shows it. */
  requirepass = "";
  /** Clients authenticated as a user other than the default one, by user (to disconnect them on DELUSER/LOAD). */
  private readonly clientsByUser = new Map<AclUser, Set<Client>>();
  private readonly hub: Hub | undefined;
  private readonly clock: () => number;

  constructor(hub?: Hub, clock: () => number = Date.now) {
    this.hub = hub;
    this.clock = clock;
    this.defaultUser = Acl.newDefaultUser();
    this.users.set("default", this.defaultUser);
  }

  private static newDefaultUser(): AclUser {
    const u = new AclUser("default");
    for (const rule of ["+@all", "~*", "&*", "on", "nopass"]) u.apply(rule);
    return u;
  }

  /** Whether connections must authenticate (the default user needs a password, or is off). */
  get authRequired(): boolean {
    return !this.defaultUser.nopass || !this.defaultUser.enabled;
  }

  /** Whether a new connection starts authenticated as the default user. */
  get defaultAuthenticated(): boolean {
    return this.defaultUser.nopass && this.defaultUser.enabled;
  }

  user(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** Users in Redis's order (by name, bytewise). */
  allUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** `requirepass`: the default user's only password, or none (nopass) for "". */
  setRequirePass(password: string): void {
    this.requirepass = password;
    this.defaultUser.apply("resetpass");
    this.defaultUser.apply(password === "" ? "nopass" : `>${password}`);
  }

  /** ACLCheckUserCredentials: the user these credentials log in as, or null. */
  authenticate(username: Uint8Array, password: Uint8Array): AclUser | null {
    const user = this.users.get(latin1(username));
    if (user === undefined || !user.checkPassword(password)) return null;
    return user;
  }

  // ---- clients of users ----

  /** Records which user a client is now authenticated as. */
  track(client: Client, from: AclUser, to: AclUser): void {
    if (from === to) return;
    if (from !== this.defaultUser) {
      const set = this.clientsByUser.get(from);
      set?.delete(client);
      if (set?.size === 0) this.clientsByUser.delete(from);
    }
    if (to !== this.defaultUser) {
      let set = this.clientsByUser.get(to);
      if (set === undefined) this.clientsByUser.set(to, (set = new Set()));
      set.add(client);
    }
  }

  /** ACLFreeUserAndKillClients: connections of a removed user are logged out and closed. */
  private disconnectClientsOf(user: AclUser): void {
    const clients = this.clientsByUser.get(user);
    if (clients === undefined) return;
    this.clientsByUser.delete(user);
    for (const client of clients) {
      client.user = this.defaultUser;
      client.authenticated = false;
      client.disconnect();
    }
  }

  /** ACLKillPubsubClientsIfNeeded: subscribers that lost a channel they hear are disconnected. */
  private disconnectSubscribersIfNeeded(updated: AclUser, original: AclUser): void {
    if (this.hub === undefined) return;
    if (updated.selectors.some((s) => s.allChannels)) return;
    const upcoming = updated.selectors.flatMap((s) => s.channels);
    const kept = original.selectors.every((s) => s.channels.every((c) => upcoming.some((u) => u.text === c.text)));
    if (kept) return;
    const probe = new AclUser("");
    probe.selectors = [new Selector(true)];
    probe.selectors[0]!.channels = upcoming;
    const subscribers = new Set<Client>();
    for (const set of this.hub.channels.values()) for (const c of set) subscribers.add(c);
    for (const { clients } of this.hub.patterns.values()) for (const c of clients) subscribers.add(c);
    for (const client of subscribers) {
      if (client.user !== original) continue;
      const denied = [...client.patterns].some((p) => !userHearsChannel(probe, latin1Bytes(p), true))
        || [...client.channels].some((c) => !userHearsChannel(probe, latin1Bytes(c), false));
      if (denied) client.disconnect();
    }
  }

  // ---- SETUSER / DELUSER ----

  /** ACL SETUSER: applies every rule to a copy, and only if all are valid to the user. Returns an error text or null. */
  setUser(name: string, rules: readonly string[]): string | null {
    if (hasSpaces(name)) return "ERR Usernames can't contain spaces or null characters";
    const merged = mergeSelectorArguments(rules);
    if (!Array.isArray(merged)) return `ERR Unmatched parenthesis in acl selector starting at '${rules[merged.unmatched]}'.`;
    const existing = this.users.get(name);
    const staged = existing?.copy() ?? new AclUser(name);
    for (const rule of merged) {
      const error = staged.apply(rule);
      if (error !== null) return `ERR Error in ACL SETUSER modifier '${rule}': ${ruleErrorText(error)}`;
    }
    if (existing !== undefined) {
      this.disconnectSubscribersIfNeeded(staged, existing);
      existing.copyFrom(staged);
    } else {
      this.users.set(name, staged);
    }
    return null;
  }

  /** ACL DELUSER: the number of users deleted, or an error text. */
  deleteUsers(names: readonly string[]): number | string {
    if (names.includes("default")) return "ERR The 'default' user cannot be removed";
    let deleted = 0;
    for (const name of names) {
      const user = this.users.get(name);
      if (user === undefined) continue;
      this.users.delete(name);
      this.disconnectClientsOf(user);
      deleted++;
    }
    return deleted;
  }

  // ---- the log ----

  /** addACLLogEntry: records a refusal, or counts it in a recent similar entry. */
  addLogEntry(entry: Omit<AclLogEntry, "count" | "createdMs">): void {
    const now = this.clock();
    const scan = Math.min(LOG_GROUPING_SCAN, this.log.length);
    for (let i = 0; i < scan; i++) {
      const e = this.log[i]!;
      if (e.reason === entry.reason && e.context === entry.context && Math.abs(e.createdMs - now) <= LOG_GROUPING_MAX_TIME_DELTA_MS
        && e.object === entry.object && e.username === entry.username) {
        e.count++;
        e.createdMs = now;
        e.clientInfo = entry.clientInfo;
        this.log.splice(i, 1);
        this.log.unshift(e);
        return;
      }
    }
    this.log.unshift({ ...entry, count: 1, createdMs: now });
    if (this.log.length > this.logMaxLength) this.log.length = this.logMaxLength;
  }

  logEntries(count: number): readonly AclLogEntry[] {
    return this.log.slice(0, count);
  }

  resetLog(): void {
    this.log = [];
  }

  /** The age of a log entry, in seconds. */
  ageSeconds(entry: AclLogEntry): number {
    return (this.clock() - entry.createdMs) / 1000;
  }

  // ---- the ACL file ----

  /** The ACL file's text: one `user` line per user, as ACL SAVE writes it. */
  fileText(): string {
    return this.allUsers().map((u) => `user ${u.name} ${u.describe()}\n`).join("");
  }

  /** ACL SAVE; returns an error text or null. */
  save(): string | null {
    if (this.aclFile === "" || this.files === null) return NO_ACL_FILE;
    try {
      this.files.write(this.aclFile, this.fileText());
      return null;
    } catch {
      return "ERR There was an error trying to save the ACLs. Please check the server logs for more information";
    }
  }

  /**
   * ACLLoadFromFile: replaces every user with the file's, or with nothing at
   * all if any line is wrong. Returns the errors (Redis's one-line text) or null.
   */
  loadFile(): string | null {
    if (this.files === null || this.aclFile === "") return NO_ACL_FILE.slice(4);
    const filename = this.aclFile;
    let content: string;
    try {
      content = this.files.read(filename);
    } catch (error) {
      return `Error loading ACLs, opening file '${filename}': ${error instanceof Error ? error.message : String(error)}`;
    }
    let errors = "";
    const users = new Map<string, AclUser>();
    const lines = content.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
      const lineNumber = i + 1;
      if (line === "") continue;
      const argv = line.split(" ");
      if (argv[0] !== "user" || argv.length < 2) {
        errors += `${filename}:${lineNumber} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1]!;
      if (hasSpaces(name)) {
        errors += `'${filename}:${lineNumber}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (users.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${lineNumber}. `;
        continue;
      }
      const user = new AclUser(name);
      users.set(name, user);
      const merged = mergeSelectorArguments(argv.slice(2));
      if (!Array.isArray(merged)) {
        errors += `${filename}:${lineNumber}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      // An unknown command is named; of other errors only the first of a line is told (it may explain the rest).
      let syntaxError = false;
      for (const raw of merged) {
        const rule = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "");
        const error = user.apply(rule);
        if (error === "ENOENT") {
          errors += `${filename}:${lineNumber}: Error in applying operation '${rule}': ${ruleErrorText(error)}. `;
        } else if (error !== null && !syntaxError) {
          errors += `${filename}:${lineNumber}: ${ruleErrorText(error)}. `;
          syntaxError = true;
        }
      }
    }
    if (errors !== "") return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    this.replaceUsers(users);
    return null;
  }

  /** Installs a new set of users: the default user keeps its identity, other users' clients are logged out. */
  private replaceUsers(users: Map<string, AclUser>): void {
    const newDefault = users.get("default") ?? Acl.newDefaultUser();
    this.defaultUser.copyFrom(newDefault);
    users.set("default", this.defaultUser);
    const old = this.users;
    this.users = users;
    for (const [name, user] of old) if (name !== "default") this.disconnectClientsOf(user);
  }

  /**
   * ACLLoadUsersAtStartup: `user` lines of the config, or the ACL file (not
   * both). Returns the reason to refuse to start, or null.
   */
  loadAtStartup(configUsers: readonly (readonly string[])[]): string | null {
    if (this.aclFile !== "" && configUsers.length > 0) {
      return "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.";
    }
    const seen = new Set<string>();
    for (const [name, ...rules] of configUsers) {
      if (name === undefined) continue;
      if (seen.has(name)) return `Error in user declaration '${name}': ${ruleErrorText("EALREADY")}`;
      seen.add(name);
      if (hasSpaces(name)) return "Spaces not allowed in ACL usernames";
      const merged = mergeSelectorArguments(rules);
      if (!Array.isArray(merged)) return `Error in user declaration '${name}': Unmatched parenthesis in selector definition`;
      let user = this.users.get(name);
      if (user === undefined) this.users.set(name, (user = new AclUser(name)));
      else user.apply("reset");
      for (const rule of merged) {
        const error = user.apply(rule);
        if (error === "ENOENT") return `Error loading ACL rule '${rule}' for the user named '${name}': ${ruleErrorText(error)}`;
        if (error !== null) return `Error in user declaration '${rule}': ${ruleErrorText(error)}`;
      }
    }
    if (this.aclFile !== "") {
      const errors = this.loadFile();
      if (errors !== null) return `Aborting Redis startup because of ACL errors: ${errors}`;
    }
    return null;
  }
}
