// The server's request parser must give the same commands however the bytes
// are cut into reads: a command split across reads is gathered in the
// parser's own buffer, which is reused from read to read (and moved to its
// front), and read-only chunks are parsed where they lie.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RequestParser } from "../../runtime/resp-request.ts";
import { encodeCommand, parseValue } from "../../runtime/resp.ts";
import { concatBytes, text, utf8 } from "../../runtime/bytes.ts";

/** Feeds `input` in reads cut at the positions `cuts`, and parses as the server does; returns every command as text. */
function parseInPieces(input: Uint8Array, cuts: number[], skipNative: boolean): string[] {
  const parser = new RequestParser();
  const out: string[] = [];
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  let from = 0;
  for (const at of [...points, input.length]) {
    // A fresh copy per read, as a socket delivers it (the server must not keep it).
    parser.feed(input.slice(from, at));
    from = at;
    for (;;) {
      // The server first hands unparsed() to the core, which takes whole
      // commands off its front (parser.skip); the parser goes on after them.
      if (skipNative) {
        const rest = parser.unparsed();
        const parsed = rest.length > 0 ? parseValue(rest, 0) : "incomplete";
        if (parsed !== "incomplete" && parsed.value.type === "array") {
          out.push(parsed.value.value!.map((a) => text((a as { value: Uint8Array }).value)).join(" "));
          parser.skip(parsed.consumed);
          continue;
        }
      }
      const args = parser.next();
      if (args === null) break;
      out.push(args.map(text).join(" "));
    }
  }
  return out;
}

const arg = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ minLength: 1000, maxLength: 6000 }));
const commands = fc.array(fc.array(arg, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 40 });

describe("RequestParser", () => {
  it("parses the same commands however the input is cut into reads", () => {
    fc.assert(fc.property(commands, fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 30 }), fc.boolean(), (cmds, cuts, skipNative) => {
      const input = concatBytes(cmds.map((c) => encodeCommand(c.map(utf8))));
      // Cut points as fractions of the input, so that they fall all along it.
      const points = cuts.map((c) => Math.floor((c / 1_000_001) * input.length));
      expect(parseInPieces(input, points, skipNative)).toEqual(cmds.map((c) => c.join(" ")));
    }), { numRuns: 200 });
  });

  it("moves a held partial command to the front of its buffer when the next read does not fit after it", () => {
    // A (10 KB) arrives in two reads, the second with the start of B (8 KB):
    // both go into the parser's buffer, A is parsed, and B's rest no longer
    // fits after B's start there, so B's start moves to the front.
    const a = encodeCommand([utf8("SET"), utf8("a"), utf8("x".repeat(10_000))]);
    const b = encodeCommand([utf8("SET"), utf8("b"), utf8("y".repeat(8_000))]);
    const input = concatBytes([a, b]);
    const cuts = [5_000, a.length + 2_000];
    for (const skipNative of [false, true]) {
      expect(parseInPieces(input, cuts, skipNative)).toEqual([`SET a ${"x".repeat(10_000)}`, `SET b ${"y".repeat(8_000)}`]);
    }
  });
});
