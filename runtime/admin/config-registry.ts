// The settings CONFIG GET and CONFIG SET see, as Redis 7.0's config table
// (config.c): each parameter has a type that decides how a value is parsed
// and what error a bad one gets, a canonical text (what CONFIG GET shows and
// CONFIG REWRITE writes), a default, and flags (immutable: only at start-up).
//
// A parameter's value lives in the registry as its canonical text unless
// something binds it: the engine binds maxmemory to its own field, the
// server binds timeout to its ServerConfig, and so on. Binding is how a
// setting takes effect at once; an unbound parameter is kept and reported but
// changes nothing (Trireme has no RDB or AOF, so `appendonly` is such a
// setting; `save` is read by the durable server's snapshot schedule).
//
// CONFIG SET of several parameters is all or nothing, as in Redis: every name
// is looked up and every value parsed before anything is stored, and if
// storing one fails the ones already stored are put back.
//
// Nothing here is Node-specific: the Worker host uses the same registry.

import { globMatch } from "../glob.ts";

export type ConfigKind = "bool" | "int" | "memory" | "enum" | "string" | "special";

export interface ConfigSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly kind: ConfigKind;
  /** Canonical text of the default value. */
  readonly default: string;
  /** Bounds of an int or memory parameter (inclusive); texts, since Redis's go to 2^63-1. */
  readonly min?: bigint;
  readonly max?: bigint;
  /** The allowed values of an enum, lower case, in Redis's order (the error lists them). */
  readonly values?: readonly string[];
  /** For "special": parses a value (given the current one) into its canonical text, or returns an error text. */
  readonly parse?: (text: string, current: string) => { value: string } | { error: string };
  /** Settable only at start-up (config file or flags). */
  readonly immutable?: boolean;
  /** Redis's protected configs (dir, dbfilename...): not settable at run time while enable-protected-configs is no. */
  readonly protected?: boolean;
  /** How CONFIG REWRITE writes the value: one directive line per returned string (default: name + value). */
  readonly rewrite?: (value: string) => string[];
}

/** Something that keeps a parameter's value: its getter returns canonical text. */
export interface ConfigBinding {
  get(): string;
  /** Stores a canonical value; may return an error text instead (then nothing changed). */
  set(value: string): string | void;
}

interface Param {
  spec: ConfigSpec;
  value: string;
  binding: ConfigBinding | undefined;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Redis's string2ll: an optional '-', digits, no leading zeros, no '+' or spaces. */
function parseInt64(text: string): bigint | null {
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return null;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

const MEMORY_UNITS: Record<string, bigint> = {
  "": 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n,
};

/** Redis's memtoull: digits then an optional unit (b, k, kb, m, mb, g, gb, any case). */
export function parseMemoryValue(text: string): bigint | null {
  const m = /^([0-9]+)([a-zA-Z]*)$/.exec(text);
  if (m === null) return null;
  const unit = MEMORY_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const n = BigInt(m[1]!) * unit;
  return n > 18446744073709551615n ? null : n;
}

/** How Redis's CONFIG REWRITE writes a byte count: in gb, mb or kb when exact. */
export function formatMemoryForRewrite(bytes: bigint): string {
  const gb = 1024n ** 3n, mb = 1024n ** 2n, kb = 1024n;
  if (bytes !== 0n && bytes % gb === 0n) return `${bytes / gb}gb`;
  if (bytes !== 0n && bytes % mb === 0n) return `${bytes / mb}mb`;
  if (bytes !== 0n && bytes % kb === 0n) return `${bytes / kb}kb`;
  return String(bytes);
}

/** Parses a value for a parameter: its canonical text, or Redis's error text. */
export function parseConfigValue(spec: ConfigSpec, text: string, current = spec.default): { value: string } | { error: string } {
  switch (spec.kind) {
    case "bool": {
      const v = text.toLowerCase();
      if (v === "yes" || v === "no") return { value: v };
      return { error: "argument must be 'yes' or 'no'" };
    }
    case "int":
    case "memory": {
      let n: bigint | null;
      if (spec.kind === "int") {
        n = parseInt64(text);
        if (n === null) return { error: "argument couldn't be parsed into an integer" };
      } else {
        n = parseMemoryValue(text);
        if (n === null) return { error: "argument must be a memory value" };
      }
      const min = spec.min ?? INT64_MIN;
      const max = spec.max ?? INT64_MAX;
      if (n < min || n > max) return { error: `argument must be between ${min} and ${max} inclusive` };
      return { value: String(n) };
    }
    case "enum": {
      const v = text.toLowerCase();
      const values = spec.values ?? [];
      if (values.includes(v)) return { value: v };
      return { error: `argument(s) must be one of the following: ${values.join(", ")}` };
    }
    case "string":
      return { value: text };
    case "special":
      return spec.parse!(text, current);
  }
}

/** Redis's sdscatrepr-style quoting for a config file, only when the value needs it. */
export function quoteConfigValue(value: string): string {
  if (value !== "" && /^[\x21-\x7e]+$/.test(value) && !/["'\\]/.test(value)) return value;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ch = value[i]!;
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out + '"';
}

export class ConfigError extends Error {}

export class ConfigRegistry {
  private readonly params: Param[] = [];
  /** Every name and alias, lower case. */
  private readonly byName = new Map<string, Param>();

  constructor(specs: readonly ConfigSpec[] = []) {
    for (const spec of specs) this.define(spec);
  }

  /** Adds a parameter (a host's own, such as http-port); replaces one of the same name. */
  define(spec: ConfigSpec): void {
    const existing = this.byName.get(spec.name);
    const param: Param = { spec, value: spec.default, binding: existing?.binding };
    if (existing !== undefined) this.params[this.params.indexOf(existing)] = param;
    else this.params.push(param);
    for (const name of [spec.name, ...(spec.aliases ?? [])]) this.byName.set(name.toLowerCase(), param);
  }

  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  spec(name: string): ConfigSpec | undefined {
    return this.byName.get(name.toLowerCase())?.spec;
  }

  /**
   * Makes `binding` the keeper of a parameter's value. The value the registry
   * held so far (a start-up setting) is handed to it first.
   */
  bind(name: string, binding: ConfigBinding): void {
    const param = this.byName.get(name.toLowerCase());
    if (param === undefined) throw new Error(`no config parameter '${name}'`);
    param.binding = binding;
  }

  /** The canonical text of a parameter's current value. */
  get(name: string): string {
    const param = this.byName.get(name.toLowerCase());
    if (param === undefined) throw new Error(`no config parameter '${name}'`);
    return param.binding?.get() ?? param.value;
  }

  /** The current value as a number (int, memory and bool parameters: yes = 1). */
  number(name: string): number {
    const v = this.get(name);
    if (v === "yes") return 1;
    if (v === "no") return 0;
    return Number(v);
  }

  private store(param: Param, value: string): string | void {
    if (param.binding !== undefined) return param.binding.set(value);
    param.value = value;
  }

  /**
   * Applies a start-up setting (config file, flags, environment): immutable
   * parameters are allowed. Throws ConfigError with Redis's reason.
   */
  setAtStartup(name: string, text: string): void {
    const param = this.byName.get(name.toLowerCase());
    if (param === undefined) throw new ConfigError(`unknown setting '${name}'`);
    const parsed = parseConfigValue(param.spec, text, param.binding?.get() ?? param.value);
    if ("error" in parsed) throw new ConfigError(`'${name}': ${parsed.error}`);
    const error = this.store(param, parsed.value);
    if (typeof error === "string") throw new ConfigError(`'${name}': ${error}`);
  }

  /** CONFIG GET pattern [pattern ...]: name/value pairs, each parameter once. */
  configGet(patterns: readonly Uint8Array[]): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const seen = new Set<string>();
    const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    for (const patternBytes of patterns) {
      const pattern = String.fromCharCode(...patternBytes);
      if (!/[[*?]/.test(pattern)) {
        const key = pattern.toLowerCase();
        if (seen.has(key)) continue;
        const param = this.byName.get(key);
        if (param === undefined) continue;
        seen.add(key);
        out.push([pattern, param.binding?.get() ?? param.value]);
        continue;
      }
      for (const [name, param] of this.byName) {
        if (seen.has(name)) continue;
        if (!globMatch(patternBytes, latin1(name), true)) continue;
        seen.add(name);
        out.push([name, param.binding?.get() ?? param.value]);
      }
    }
    return out;
  }

  /**
   * CONFIG SET name value [name value ...]: null on success, else the error
   * text Redis gives (without the leading "ERR ").
   */
  configSet(pairs: ReadonlyArray<[string, string]>): string | null {
    const chosen: Param[] = [];
    const values: string[] = [];
    let unknownName: string | undefined;
    let errorName: string | undefined;
    let errorText: string | undefined;
    for (const [name, text] of pairs) {
      const param = this.byName.get(name.toLowerCase());
      if (param === undefined) {
        if (errorName === undefined && unknownName === undefined) unknownName = name;
        continue;
      }
      if (unknownName !== undefined || errorName !== undefined) continue;
      if (param.spec.immutable === true || param.spec.protected === true) {
        errorName = name;
        errorText = param.spec.immutable === true ? "can't set immutable config" : "can't set protected config";
        continue;
      }
      if (chosen.includes(param)) {
        errorName = name;
        errorText = "duplicate parameter";
        continue;
      }
      chosen.push(param);
      values.push(text);
    }
    if (unknownName !== undefined) return `Unknown option or number of arguments for CONFIG SET - '${unknownName}'`;
    if (errorName !== undefined) return `CONFIG SET failed (possibly related to argument '${errorName}') - ${errorText}`;

    const old = chosen.map((p) => p.binding?.get() ?? p.value);
    for (let i = 0; i < chosen.length; i++) {
      const param = chosen[i]!;
      const parsed = parseConfigValue(param.spec, values[i]!, old[i]);
      const error = "error" in parsed ? parsed.error : this.store(param, parsed.value);
      if (typeof error === "string") {
        for (let j = 0; j < i; j++) this.store(chosen[j]!, old[j]!);
        return `CONFIG SET failed (possibly related to argument '${param.spec.name}') - ${error}`;
      }
    }
    return null;
  }

  /**
   * The directive lines CONFIG REWRITE writes for each parameter, by name,
   * and whether its value differs from the default (Redis leaves settings at
   * their default out of a rewritten file unless the file already has them).
   */
  rewriteLines(): Array<{ name: string; lines: string[]; isDefault: boolean }> {
    return this.params.map((param) => {
      const spec = param.spec;
      const value = param.binding?.get() ?? param.value;
      let lines: string[];
      if (spec.rewrite !== undefined) lines = spec.rewrite(value);
      else if (spec.kind === "memory") lines = [`${spec.name} ${formatMemoryForRewrite(BigInt(value))}`];
      else lines = [`${spec.name} ${quoteConfigValue(value)}`];
      return { name: spec.name, lines, isDefault: value === spec.default };
    });
  }

  /** Canonical names (no aliases), in definition order. */
  names(): string[] {
    return this.params.map((p) => p.spec.name);
  }

  /** Aliases of a parameter, lower case. */
  aliasesOf(name: string): readonly string[] {
    return this.byName.get(name.toLowerCase())?.spec.aliases ?? [];
  }
}
