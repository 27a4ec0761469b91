// Parsing client requests the way Redis does (networking.c): a RESP array of
// bulk strings, or an inline command (a line of space-separated words, with
// quotes, as telnet and `redis-cli` inline send). The parser is incremental:
// feed it bytes as they arrive and take complete commands out. Every length
// is checked against its limit before anything is buffered for it, and a
// protocol error carries Redis's exact text; after one, the connection must
// be closed (the stream can no longer be trusted).

import { RespProtocolError } from "./resp.ts";

export interface RequestLimits {
  /** Longest bulk string, bytes (proto-max-bulk-len). */
  maxBulkBytes: number;
  /** Most arguments in one command. */
  maxArgs: number;
  /** Longest inline command line, bytes (PROTO_INLINE_MAX_SIZE). */
  maxInlineBytes: number;
  /** Most unprocessed bytes held for one client (client-query-buffer-limit). */
  maxQueryBufferBytes: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxBulkBytes: 512 * 1024 * 1024,
  maxArgs: 2147483647,
  maxInlineBytes: 64 * 1024,
  maxQueryBufferBytes: 1024 * 1024 * 1024,
};

const CR = 13;
const LF = 10;

/** What a connection that has not logged in may send (Redis's processMultibulkBuffer). */
const UNAUTHENTICATED_ARGS_MAX = 10;
const UNAUTHENTICATED_BULK_BYTES_MAX = 16384;

/** A parser's own buffer starts at this size, and is dropped when it has grown past the second while nothing is held. */
const OWN_BUFFER_MIN_BYTES = 16 * 1024;
const OWN_BUFFER_KEEP_BYTES = 256 * 1024;

export class RequestParser {
  private buf: Uint8Array = new Uint8Array(0);
  /** The buffer held bytes are gathered in (buf is either it or the last chunk read). */
  private own: Uint8Array | null = null;
  private start = 0;
  private end = 0;
  // State of a multibulk request in progress.
  private pendingArgs: Uint8Array[] | null = null;
  private pendingCount = 0;
  private readonly limits: RequestLimits;
  /**
   * Whether the connection still has to log in: Redis then accepts at most
   * 10 arguments of at most 16 KiB each, so that a stranger cannot make the
   * server buffer much before it has a password. Asked as each request is
   * parsed, after the requests before it have run (AUTH first, then a big SET).
   */
  authRequired: () => boolean = () => false;

  constructor(limits: RequestLimits = DEFAULT_REQUEST_LIMITS) {
    this.limits = limits;
  }

  /** Bytes received but not yet parsed into commands. */
  get buffered(): number {
    return this.end - this.start;
  }

  feed(chunk: Uint8Array): void {
    const held = this.end - this.start;
    if (held + chunk.length > this.limits.maxQueryBufferBytes) {
      throw new RespProtocolError("Protocol error: query buffer limit exceeded");
    }
    if (held === 0 && this.pendingArgs === null) {
      // Parse the chunk where it is. A large owned buffer is not kept for
      // later (bounded memory per idle connection).
      if (this.own !== null && this.own.length > OWN_BUFFER_KEEP_BYTES) this.own = null;
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      return;
    }
    // Bytes are held (a command split across reads): they and the chunk go
    // into this parser's own buffer, reused from read to read, so that a
    // stream of large pipelines (redis-cli --pipe) makes no garbage per read.
    if (this.buf !== this.own || this.end + chunk.length > this.buf.length) {
      const need = held + chunk.length;
      let own = this.own;
      if (own === null || own.length < need) {
        let cap = OWN_BUFFER_MIN_BYTES;
        while (cap < need) cap *= 2;
        own = new Uint8Array(Math.max(need, Math.min(cap, this.limits.maxQueryBufferBytes)));
        own.set(this.buf.subarray(this.start, this.end));
      } else if (this.buf === own) {
        own.copyWithin(0, this.start, this.end);
      } else {
        own.set(this.buf.subarray(this.start, this.end));
      }
      this.own = own;
      this.buf = own;
      this.start = 0;
      this.end = held;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /**
   * The next complete command, an empty array for an empty request (which
   * Redis ignores), or null when more bytes are needed. Throws
   * RespProtocolError with Redis's message on bad input.
   */
  /**
   * The bytes received and not yet parsed, when no command is half-parsed
   * (else an empty view): for a host that hands them to the core directly.
   * Valid until the next feed.
   */
  unparsed(): Uint8Array {
    if (this.pendingArgs !== null) return new Uint8Array(0);
    return this.buf.subarray(this.start, this.end);
  }

  /** Drops `n` bytes of unparsed() that someone else handled. */
  skip(n: number): void {
    if (this.pendingArgs !== null || n > this.end - this.start) throw new RangeError("skip past the unparsed bytes");
    this.start += n;
  }

  next(): Uint8Array[] | null {
    if (this.pendingArgs !== null) return this.continueMultibulk();
    if (this.start >= this.end) return null;
    return this.buf[this.start] === 42 /* * */ ? this.startMultibulk() : this.inline();
  }

  private findCR(from: number): number {
    for (let i = from; i < this.end; i++) if (this.buf[i] === CR) return i;
    return -1;
  }

  private readNumberLine(from: number, tooBig: string): { value: number | null; next: number } | null {
    const cr = this.findCR(from);
    if (cr < 0) {
      if (this.end - from > this.limits.maxInlineBytes) throw new RespProtocolError(`Protocol error: ${tooBig}`);
      return null;
    }
    if (cr + 1 >= this.end) return null; // wait for the LF
    return { value: parseStrictInteger(this.buf, from, cr), next: cr + 2 };
  }

  private startMultibulk(): Uint8Array[] | null {
    const line = this.readNumberLine(this.start + 1, "too big mbulk count string");
    if (line === null) return null;
    const count = line.value;
    if (count === null || count > this.limits.maxArgs) throw new RespProtocolError("Protocol error: invalid multibulk length");
    if (count > UNAUTHENTICATED_ARGS_MAX && this.authRequired()) throw new RespProtocolError("Protocol error: unauthenticated multibulk length");
    this.start = line.next;
    if (count <= 0) return [];
    this.pendingArgs = [];
    this.pendingCount = count;
    return this.continueMultibulk();
  }

  private continueMultibulk(): Uint8Array[] | null {
    const args = this.pendingArgs!;
    while (args.length < this.pendingCount) {
      if (this.start >= this.end) return null;
      if (this.buf[this.start] !== 36 /* $ */) {
        throw new RespProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(this.buf[this.start]!)}'`);
      }
      const line = this.readNumberLine(this.start + 1, "too big bulk count string");
      if (line === null) return null;
      const len = line.value;
      if (len === null || len < 0 || len > this.limits.maxBulkBytes) throw new RespProtocolError("Protocol error: invalid bulk length");
      if (len > UNAUTHENTICATED_BULK_BYTES_MAX && this.authRequired()) throw new RespProtocolError("Protocol error: unauthenticated bulk length");
      if (line.next + len + 2 > this.end) {
        if (this.end - this.start + (line.next + len + 2 - this.end) > this.limits.maxQueryBufferBytes) {
          throw new RespProtocolError("Protocol error: query buffer limit exceeded");
        }
        return null;
      }
      args.push(this.buf.slice(line.next, line.next + len));
      this.start = line.next + len + 2;
    }
    this.pendingArgs = null;
    return args;
  }

  private inline(): Uint8Array[] | null {
    let lf = -1;
    for (let i = this.start; i < this.end; i++) {
      if (this.buf[i] === LF) {
        lf = i;
        break;
      }
    }
    if (lf < 0) {
      if (this.end - this.start > this.limits.maxInlineBytes) throw new RespProtocolError("Protocol error: too big inline request");
      return null;
    }
    let lineEnd = lf;
    if (lineEnd > this.start && this.buf[lineEnd - 1] === CR) lineEnd--;
    const args = splitInlineArgs(this.buf.subarray(this.start, lineEnd));
    this.start = lf + 1;
    if (args === null) throw new RespProtocolError("Protocol error: unbalanced quotes in request");
    return args;
  }
}

/** string2ll over a byte range: optional '-', digits, no leading zeros; null if not. */
function parseStrictInteger(buf: Uint8Array, from: number, to: number): number | null {
  if (to <= from || to - from > 20) return null;
  let i = from;
  const negative = buf[i] === 45;
  if (negative) i++;
  if (i === to) return null;
  if (buf[i] === 48 && to - i > 1) return null;
  let v = 0;
  for (; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Redis's sdssplitargs: words separated by spaces; "double quotes" with
 * \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' with \' only. A
 * closing quote must be followed by a space or the end. Null if unbalanced.
 */
export function splitInlineArgs(line: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return out;
    const word: number[] = [];
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      if (inDouble) {
        if (i >= n) return null;
        const c = line[i]!;
        if (c === 92 && i + 3 < n && line[i + 1] === 120 && hexValue(line[i + 2]!) >= 0 && hexValue(line[i + 3]!) >= 0) {
          word.push(hexValue(line[i + 2]!) * 16 + hexValue(line[i + 3]!));
          i += 3;
        } else if (c === 92 && i + 1 < n) {
          i++;
          const e = line[i]!;
          word.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
        } else if (c === 34) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          done = true;
        } else {
          word.push(c);
        }
      } else if (inSingle) {
        if (i >= n) return null;
        const c = line[i]!;
        if (c === 92 && i + 1 < n && line[i + 1] === 39) {
          i++;
          word.push(39);
        } else if (c === 39) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          done = true;
        } else {
          word.push(c);
        }
      } else if (i >= n) {
        done = true;
      } else {
        const c = line[i]!;
        if (isSpace(c)) done = true;
        else if (c === 34) inDouble = true;
        else if (c === 39) inSingle = true;
        else word.push(c);
      }
      if (i < n) i++;
    }
    out.push(Uint8Array.from(word));
  }
}
