// runtime/glob.ts against Redis 7.0's stringmatchlen. The expected sets
// were recorded from redis-server 7.0.15: each subject was SET as a key and
// each pattern sent as KEYS; a test here checks every (pattern, subject)
// pair. Strings are byte strings written as Latin-1 (one char per byte), so
// "\u00c8" is the byte 0xc8; ranges with such bytes follow C's signed char.
// The differential suite (test/differential/keys.test.ts) also compares
// KEYS with random patterns against the live server.
import { describe, expect, it } from "vitest";
import { globMatch, matchesAll } from "../../runtime/glob.ts";

const bytes = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

const SUBJECTS: string[] = ["", "a", "b", "A", "ab", "abc", "aXc", "hello", "hallo", "hllo", "heeello", "h*llo", "h?llo", "[a]", "a]", "\\", "a\\b", "-", "^", "]", "*", "?", "x\u0000y", "\u00c8", "\u007f", "\u00ff", "foo:bar:baz", "foo:", "aaaaaaaaaaaaaaaaaaaaaaab"];

/** Pattern, and the subjects Redis's KEYS returned for it. */
const REDIS_MATCHES: Array<[string, string[]]> = [
  ["*", ["", "*", "-", "?", "A", "[a]", "\\", "]", "^", "a", "aXc", "a\\b", "a]", "aaaaaaaaaaaaaaaaaaaaaaab", "ab", "abc", "b", "foo:", "foo:bar:baz", "h*llo", "h?llo", "hallo", "heeello", "hello", "hllo", "x\u0000y", "\u007f", "\u00c8", "\u00ff"]],
  ["", [""]],
  ["?", ["*", "-", "?", "A", "\\", "]", "^", "a", "b", "\u007f", "\u00c8", "\u00ff"]],
  ["a", ["a"]],
  ["A", ["A"]],
  ["a*", ["a", "aXc", "a\\b", "a]", "aaaaaaaaaaaaaaaaaaaaaaab", "ab", "abc"]],
  ["*a*", ["[a]", "a", "aXc", "a\\b", "a]", "aaaaaaaaaaaaaaaaaaaaaaab", "ab", "abc", "foo:bar:baz", "hallo"]],
  ["?b*", ["ab", "abc"]],
  ["h?llo", ["h*llo", "h?llo", "hallo", "hello"]],
  ["h*llo", ["h*llo", "h?llo", "hallo", "heeello", "hello", "hllo"]],
  ["h[ae]llo", ["hallo", "hello"]],
  ["h[^e]llo", ["h*llo", "h?llo", "hallo"]],
  ["h[a-e]llo", ["hallo", "hello"]],
  ["h[e-a]llo", ["hallo", "hello"]],
  ["\\*", ["*"]],
  ["h\\*llo", ["h*llo"]],
  ["\\[a\\]", ["[a]"]],
  ["[[]a]", ["[a]"]],
  ["a\\\\b", ["a\\b"]],
  ["a\\b", ["ab"]],
  ["\\", ["\\"]],
  ["[", []],
  ["[a", ["a"]],
  ["[^", ["*", "-", "?", "A", "\\", "]", "^", "a", "b", "\u007f", "\u00c8", "\u00ff"]],
  ["[^a", ["*", "-", "?", "A", "\\", "]", "^", "b", "\u007f", "\u00c8", "\u00ff"]],
  ["[-]", ["-"]],
  ["[a-]", ["]", "^", "a"]],
  ["[]]", []],
  ["[\\]]", ["]"]],
  ["[\\]", ["]"]],
  ["[a-c-e]", ["-", "a", "b"]],
  ["[!a]", ["a"]],
  ["a]", ["a]"]],
  ["foo:*", ["foo:", "foo:bar:baz"]],
  ["*:*:*", ["foo:bar:baz"]],
  ["x?y", ["x\u0000y"]],
  ["x\u0000y", ["x\u0000y"]],
  ["[a-\u00ff]", ["*", "-", "?", "A", "\\", "]", "^", "a", "\u00ff"]],
  ["[\u00ff-a]", ["*", "-", "?", "A", "\\", "]", "^", "a", "\u00ff"]],
  ["[^a-\u00ff]", ["b", "\u007f", "\u00c8"]],
  ["[\u0080-\u00ff]", ["\u00c8", "\u00ff"]],
  ["[\u0000-\u007f]", ["*", "-", "?", "A", "\\", "]", "^", "a", "b", "\u007f"]],
  ["\u00c8", ["\u00c8"]],
  ["[\u00c8]", ["\u00c8"]],
  ["*a*a*a*a*a*b", ["aaaaaaaaaaaaaaaaaaaaaaab"]],
  ["a*a*a*a*c", []],
  ["**", ["*", "-", "?", "A", "[a]", "\\", "]", "^", "a", "aXc", "a\\b", "a]", "aaaaaaaaaaaaaaaaaaaaaaab", "ab", "abc", "b", "foo:", "foo:bar:baz", "h*llo", "h?llo", "hallo", "heeello", "hello", "hllo", "x\u0000y", "\u007f", "\u00c8", "\u00ff"]],
  ["***", ["*", "-", "?", "A", "[a]", "\\", "]", "^", "a", "aXc", "a\\b", "a]", "aaaaaaaaaaaaaaaaaaaaaaab", "ab", "abc", "b", "foo:", "foo:bar:baz", "h*llo", "h?llo", "hallo", "heeello", "hello", "hllo", "x\u0000y", "\u007f", "\u00c8", "\u00ff"]],
  ["*\\", ["\\"]],
  ["?\\", []],
  ["[a-]*", ["*", "]", "^", "a"]],
  ["h[a-z]*o", ["hallo", "heeello", "hello", "hllo"]],
  ["[A-Z]", ["A"]],
  ["[a-z]", ["a", "b"]],
  ["[^]", ["*", "-", "?", "A", "\\", "]", "^", "a", "b", "\u007f", "\u00c8", "\u00ff"]],
  ["[]", []],
  ["[*]", ["*"]],
  ["[?]", ["?"]],
  ["a?", ["a]", "ab"]],
  ["a??", ["aXc", "a\\b", "abc"]],
  ["*?", ["*", "-", "?", "A", "[a]", "\\", "]", "^", "a", "aXc", "a\\b", "a]", "aaaaaaaaaaaaaaaaaaaaaaab", "ab", "abc", "b", "foo:", "foo:bar:baz", "h*llo", "h?llo", "hallo", "heeello", "hello", "hllo", "x\u0000y", "\u007f", "\u00c8", "\u00ff"]],
  ["?*?", ["[a]", "aXc", "a\\b", "a]", "aaaaaaaaaaaaaaaaaaaaaaab", "ab", "abc", "foo:", "foo:bar:baz", "h*llo", "h?llo", "hallo", "heeello", "hello", "hllo", "x\u0000y"]],
];

describe("globMatch", () => {
  for (const [pattern, matches] of REDIS_MATCHES) {
    it(`matches what Redis matches for ${JSON.stringify(pattern)}`, () => {
      const expected = new Set(matches);
      // KEYS * lists every key without calling the matcher, and the matcher
      // itself (stringmatchlen) says "*" does not match the empty string.
      if (pattern === "*") {
        expect(matchesAll(bytes(pattern))).toBe(true);
        expect(globMatch(bytes("*"), bytes(""))).toBe(false);
        expected.delete("");
      }
      const mismatches = SUBJECTS.filter((s) => globMatch(bytes(pattern), bytes(s)) !== expected.has(s));
      expect(mismatches).toEqual([]);
    });
  }

  it("folds ASCII case only when asked", () => {
    expect(globMatch(bytes("HeLLo"), bytes("hello"))).toBe(false);
    expect(globMatch(bytes("HeLLo"), bytes("hello"), true)).toBe(true);
    expect(globMatch(bytes("h[A-Z]llo"), bytes("hello"), true)).toBe(true);
    expect(globMatch(bytes("[^E]"), bytes("e"), true)).toBe(false);
  });

  it("gives up quickly on patterns that would take exponential time", () => {
    const pattern = bytes("a*".repeat(40) + "b");
    const subject = bytes("a".repeat(200));
    const started = performance.now();
    expect(globMatch(pattern, subject)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("knows when a pattern matches everything", () => {
    expect(matchesAll(bytes("*"))).toBe(true);
    expect(matchesAll(bytes("**"))).toBe(false);
    expect(matchesAll(bytes(""))).toBe(false);
  });
});
