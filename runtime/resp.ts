// RESP2 and RESP3: encoding replies, and parsing any RESP value.
//
// The encoder writes a Reply (reply.ts) for the protocol of the session, with
// Redis's downgrades for RESP2: a map is a flat array of alternating keys and
// values, a set an array, a double a bulk string in %.17g, a boolean the
// integer 1 or 0, a null `$-1` (or `*-1` for a null array), a verbatim string
// a bulk string. Error and simple strings are written byte for byte from
// their JS string (code points below 256), so an argument echoed in an error
// comes back as the client sent it.
//
// The parser reads one complete value at a time from a byte buffer and says
// how many bytes it used, or that it needs more. Every length it reads is
// checked against the limits it was given before it allocates anything.

import {
  BoolReply, DoubleReply, ErrorReply, MapReply, NullArray, PushReply, SetReply, SimpleString, VerbatimReply, type Reply,
} from "./reply.ts";
import { formatDouble } from "./numbers.ts";

const CRLF = [13, 10];

export class RespWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialBytes = 4096) {
    this.buf = new Uint8Array(initialBytes);
  }

  get length(): number {
    return this.len;
  }

  /** The bytes written so far, copied; the writer is emptied. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }

  /** A view of the bytes written so far (valid until the next write); the writer is emptied. */
  takeView(): Uint8Array {
    const out = this.buf.subarray(0, this.len);
    this.len = 0;
    return out;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i) & 0xff;
  }

  /** Writes a line: prefix, text, CRLF (text as bytes of its code points; CR/LF replaced by spaces). */
  private line(prefix: string, textValue: string): void {
    this.ensure(textValue.length + 3);
    this.buf[this.len++] = prefix.charCodeAt(0);
    for (let i = 0; i < textValue.length; i++) {
      const c = textValue.charCodeAt(i);
      this.buf[this.len++] = c === 13 || c === 10 ? 32 : c & 0xff;
    }
    this.buf[this.len++] = CRLF[0]!;
    this.buf[this.len++] = CRLF[1]!;
  }

  bulk(bytes: Uint8Array): void {
    this.line("$", String(bytes.length));
    this.ensure(bytes.length + 2);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** Writes raw, already-encoded RESP bytes. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  write(reply: Reply, protocol: 2 | 3): void {
    if (typeof reply === "number" || typeof reply === "bigint") {
      this.line(":", String(reply));
    } else if (reply instanceof Uint8Array) {
      this.bulk(reply);
    } else if (reply === null) {
      this.ascii(protocol === 3 ? "_\r\n" : "$-1\r\n");
    } else if (Array.isArray(reply)) {
      this.line("*", String(reply.length));
      for (const item of reply) this.write(item, protocol);
    } else if (reply instanceof SimpleString) {
      this.line("+", reply.value);
    } else if (reply instanceof ErrorReply) {
      this.line("-", reply.message);
    } else if (reply instanceof DoubleReply) {
      const textValue = formatDouble(reply.value);
      if (protocol === 3) this.line(",", textValue);
      else this.bulk(asciiBytes(textValue));
    } else if (reply instanceof MapReply) {
      if (protocol === 3) this.line("%", String(reply.entries.length));
      else this.line("*", String(reply.entries.length * 2));
      for (const [k, v] of reply.entries) {
        this.write(k, protocol);
        this.write(v, protocol);
      }
    } else if (reply instanceof SetReply) {
      this.line(protocol === 3 ? "~" : "*", String(reply.items.length));
      for (const item of reply.items) this.write(item, protocol);
    } else if (reply instanceof BoolReply) {
      if (protocol === 3) this.ascii(reply.value ? "#t\r\n" : "#f\r\n");
      else this.ascii(reply.value ? ":1\r\n" : ":0\r\n");
    } else if (reply instanceof VerbatimReply) {
      if (protocol === 3) {
        this.line("=", String(reply.text.length + 4));
        this.ascii(`${reply.format}:`);
        this.raw(reply.text);
        this.ascii("\r\n");
      } else {
        this.bulk(reply.text);
      }
    } else if (reply instanceof PushReply) {
      this.line(protocol === 3 ? ">" : "*", String(reply.items.length));
      for (const item of reply.items) this.write(item, protocol);
    } else if (reply instanceof NullArray) {
      this.ascii(protocol === 3 ? "_\r\n" : "*-1\r\n");
    }
  }
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Encodes one reply. */
export function encodeReply(reply: Reply, protocol: 2 | 3 = 2): Uint8Array {
  const w = new RespWriter(256);
  w.write(reply, protocol);
  return w.take();
}

/** Encodes a command as a RESP array of bulk strings (what clients send). */
export function encodeCommand(args: readonly Uint8Array[]): Uint8Array {
  const w = new RespWriter(64);
  w.write(args as Uint8Array[], 2);
  return w.take();
}

// ---- parsing ---------------------------------------------------------------

/** A parsed RESP value, as a client sees it. */
export type RespValue =
  | { type: "simple"; value: string }
  | { type: "error"; value: string }
  | { type: "integer"; value: bigint }
  | { type: "bulk"; value: Uint8Array | null }
  | { type: "array"; value: RespValue[] | null }
  | { type: "null" }
  | { type: "double"; value: string }
  | { type: "boolean"; value: boolean }
  | { type: "bignum"; value: string }
  | { type: "verbatim"; format: string; value: Uint8Array }
  | { type: "map"; value: Array<[RespValue, RespValue]> }
  | { type: "set"; value: RespValue[] }
  | { type: "attribute"; value: Array<[RespValue, RespValue]> }
  | { type: "push"; value: RespValue[] };

export interface RespLimits {
  /** Largest bulk string, bytes (Redis's proto-max-bulk-len, 512 MB). */
  maxBulkBytes: number;
  /** Most elements in one aggregate (Redis allows 1024*1024*1024 for requests). */
  maxAggregateLength: number;
  /** Deepest nesting of aggregates. */
  maxDepth: number;
  /** Longest line (type prefix to CRLF), bytes. */
  maxLineBytes: number;
}

export const DEFAULT_RESP_LIMITS: RespLimits = {
  maxBulkBytes: 512 * 1024 * 1024,
  maxAggregateLength: 1024 * 1024 * 1024,
  maxDepth: 128,
  maxLineBytes: 64 * 1024,
};

export class RespProtocolError extends Error {}

/** Parse result: the value and the bytes it took, or "incomplete". */
export type ParseResult = { value: RespValue; consumed: number } | "incomplete";

export function parseValue(buf: Uint8Array, start = 0, limits: RespLimits = DEFAULT_RESP_LIMITS): ParseResult {
  const p = new ValueParser(buf, limits);
  const value = p.value(start, 0);
  if (value === undefined) return "incomplete";
  return { value, consumed: p.pos - start };
}

/** Parses every complete value in a buffer; throws if bytes are left over. */
export function parseAll(buf: Uint8Array, limits: RespLimits = DEFAULT_RESP_LIMITS): RespValue[] {
  const out: RespValue[] = [];
  let at = 0;
  while (at < buf.length) {
    const r = parseValue(buf, at, limits);
    if (r === "incomplete") throw new RespProtocolError("incomplete RESP value at end of buffer");
    out.push(r.value);
    at += r.consumed;
  }
  return out;
}

class ValueParser {
  pos = 0;
  private readonly buf: Uint8Array;
  private readonly limits: RespLimits;

  constructor(buf: Uint8Array, limits: RespLimits) {
    this.buf = buf;
    this.limits = limits;
  }

  /** The line starting at `from` (without CRLF), or undefined if the CRLF has not arrived. */
  private line(from: number): string | undefined {
    const max = Math.min(this.buf.length, from + this.limits.maxLineBytes);
    for (let i = from; i + 1 < max + 1 && i + 1 < this.buf.length; i++) {
      if (this.buf[i] === 13 && this.buf[i + 1] === 10) {
        let s = "";
        for (let j = from; j < i; j++) s += String.fromCharCode(this.buf[j]!);
        this.pos = i + 2;
        return s;
      }
    }
    if (this.buf.length - from >= this.limits.maxLineBytes) throw new RespProtocolError("line too long");
    return undefined;
  }

  private length(s: string, max: number, what: string): number {
    if (!/^-?\d+$/.test(s)) throw new RespProtocolError(`invalid ${what} length`);
    const n = Number(s);
    if (n < -1 || n > max) throw new RespProtocolError(`invalid ${what} length`);
    return n;
  }

  private pairs(count: number, depth: number): Array<[RespValue, RespValue]> | undefined {
    const out: Array<[RespValue, RespValue]> = [];
    for (let i = 0; i < count; i++) {
      const k = this.value(this.pos, depth + 1);
      if (k === undefined) return undefined;
      const v = this.value(this.pos, depth + 1);
      if (v === undefined) return undefined;
      out.push([k, v]);
    }
    return out;
  }

  private items(count: number, depth: number): RespValue[] | undefined {
    const out: RespValue[] = [];
    for (let i = 0; i < count; i++) {
      const v = this.value(this.pos, depth + 1);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  }

  value(from: number, depth: number): RespValue | undefined {
    if (depth > this.limits.maxDepth) throw new RespProtocolError("nesting too deep");
    if (from >= this.buf.length) return undefined;
    const prefix = String.fromCharCode(this.buf[from]!);
    const l = this.line(from + 1);
    if (l === undefined) return undefined;
    switch (prefix) {
      case "+": return { type: "simple", value: l };
      case "-": return { type: "error", value: l };
      case ":":
        if (!/^[+-]?\d+$/.test(l)) throw new RespProtocolError("invalid integer");
        return { type: "integer", value: BigInt(l) };
      case "$":
      case "=": {
        const n = this.length(l, this.limits.maxBulkBytes, "bulk");
        if (n === -1) return { type: "bulk", value: null };
        if (this.pos + n + 2 > this.buf.length) return undefined;
        const bytes = this.buf.slice(this.pos, this.pos + n);
        if (this.buf[this.pos + n] !== 13 || this.buf[this.pos + n + 1] !== 10) throw new RespProtocolError("bulk not followed by CRLF");
        this.pos += n + 2;
        if (prefix === "=") {
          let format = "";
          for (let i = 0; i < 3 && i < bytes.length; i++) format += String.fromCharCode(bytes[i]!);
          return { type: "verbatim", format, value: bytes.slice(4) };
        }
        return { type: "bulk", value: bytes };
      }
      case "*":
      case ">":
      case "~": {
        const n = this.length(l, this.limits.maxAggregateLength, "multibulk");
        if (n === -1) return { type: "array", value: null };
        const items = this.items(n, depth);
        if (items === undefined) return undefined;
        if (prefix === ">") return { type: "push", value: items };
        if (prefix === "~") return { type: "set", value: items };
        return { type: "array", value: items };
      }
      case "%":
      case "|": {
        const n = this.length(l, this.limits.maxAggregateLength, "map");
        const pairs = this.pairs(n, depth);
        if (pairs === undefined) return undefined;
        return prefix === "%" ? { type: "map", value: pairs } : { type: "attribute", value: pairs };
      }
      case "_": return { type: "null" };
      case ",": return { type: "double", value: l };
      case "#":
        if (l !== "t" && l !== "f") throw new RespProtocolError("invalid boolean");
        return { type: "boolean", value: l === "t" };
      case "(": return { type: "bignum", value: l };
      default:
        throw new RespProtocolError(`unknown type byte '${prefix}'`);
    }
  }
}
