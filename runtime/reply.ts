// Replies, independent of the protocol version.
//
// A command handler returns one of these; the RESP encoder turns it into RESP2
// or RESP3 bytes the way Redis does (a map becomes a flat array in RESP2, a
// double becomes a bulk string, a boolean an integer), and the embedded API
// turns it into plain JavaScript values. The common replies are plain values
// so that handlers allocate little: a number or bigint is an integer reply, a
// Uint8Array a bulk string, null a null bulk, a JS array an array reply.

export class SimpleString {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
}

/** An error reply; `message` is the whole text after '-', e.g. "ERR syntax error". */
export class ErrorReply {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

export class DoubleReply {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export class MapReply {
  readonly entries: Array<[Reply, Reply]>;
  constructor(entries: Array<[Reply, Reply]>) {
    this.entries = entries;
  }
}

export class SetReply {
  readonly items: Reply[];
  constructor(items: Reply[]) {
    this.items = items;
  }
}

export class BoolReply {
  readonly value: boolean;
  constructor(value: boolean) {
    this.value = value;
  }
}

export class VerbatimReply {
  readonly format: string;
  readonly text: Uint8Array;
  constructor(format: string, text: Uint8Array) {
    this.format = format;
    this.text = text;
  }
}

/** An out-of-band message (pub/sub): a push (`>`) in RESP3, an array in RESP2. */
export class PushReply {
  readonly items: Reply[];
  constructor(items: Reply[]) {
    this.items = items;
  }
}

/** RESP2's null array (`*-1`), as BLPOP's timeout and an aborted EXEC reply; `_` in RESP3. */
export class NullArray {
  private constructor() {}
  static readonly instance = new NullArray();
}

export type Reply =
  | number
  | bigint
  | Uint8Array
  | null
  | Reply[]
  | SimpleString
  | ErrorReply
  | DoubleReply
  | MapReply
  | SetReply
  | BoolReply
  | VerbatimReply
  | PushReply
  | NullArray;

export const OK = new SimpleString("OK");
export const QUEUED = new SimpleString("QUEUED");
export const PONG = new SimpleString("PONG");

export function isError(reply: Reply): reply is ErrorReply {
  return reply instanceof ErrorReply;
}

/** Error replies with Redis's exact text, shared so that every family words them alike. */
export const Errors = {
  syntax: new ErrorReply("ERR syntax error"),
  notInteger: new ErrorReply("ERR value is not an integer or out of range"),
  notFloat: new ErrorReply("ERR value is not a valid float"),
  wrongType: new ErrorReply("WRONGTYPE Operation against a key holding the wrong kind of value"),
  noSuchKey: new ErrorReply("ERR no such key"),
  outOfRange: new ErrorReply("ERR index out of range"),
  overflow: new ErrorReply("ERR increment or decrement would overflow"),
  decrementOverflow: new ErrorReply("ERR decrement would overflow"),
  dbIndexOutOfRange: new ErrorReply("ERR DB index is out of range"),
  oom: new ErrorReply("OOM command not allowed when used memory > 'maxmemory'."),
  invalidExpire: (command: string) => new ErrorReply(`ERR invalid expire time in '${command}' command`),
  wrongArity: (command: string) => new ErrorReply(`ERR wrong number of arguments for '${command}' command`),
  mustBePositive: new ErrorReply("ERR value is out of range, must be positive"),
  minMaxNotFloat: new ErrorReply("ERR min or max is not a float"),
  minMaxNotValidString: new ErrorReply("ERR min or max not valid string range item"),
  nanOrInfinity: new ErrorReply("ERR increment would produce NaN or Infinity"),
} as const;
