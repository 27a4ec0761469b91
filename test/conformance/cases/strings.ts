// Strings: SET and GET with their options, and the errors a host's callers see.
import { ReplyError } from "../../../runtime/store.ts";
import { thrownBy, type EngineCase, type Expect } from "../case.ts";

/** Asserts that `fn` throws a ReplyError with exactly `text`. */
export function expectReplyError(expect: Expect, fn: () => unknown, text: string): void {
  const error = thrownBy(fn);
  expect(error, `expected the error reply "${text}"`).toBeInstanceOf(ReplyError);
  expect((error as ReplyError).message).toBe(text);
}

export const stringCases: EngineCase[] = [
  {
    name: "strings: SET then GET returns the value, a missing key is null",
    async run({ open, expect }) {
      const s = await open();
      expect(s.command("SET", "greeting", "hello")).toBe("OK");
      expect(s.command("GET", "greeting")).toBe("hello");
      expect(s.command("GET", "nobody")).toBeNull();
      expect(s.command("SET", "", "")).toBe("OK");
      expect(s.command("GET", "")).toBe("");
      expect(s.command("SET", "greeting", "καλημέρα ☀")).toBe("OK");
      expect(s.command("GET", "greeting")).toBe("καλημέρα ☀");
    },
  },
  {
    name: "strings: SET NX, XX and GET options",
    async run({ open, expect }) {
      const s = await open();
      expect(s.command("SET", "k", "1", "XX")).toBeNull();
      expect(s.command("SET", "k", "1", "NX")).toBe("OK");
      expect(s.command("SET", "k", "2", "NX")).toBeNull();
      expect(s.command("SET", "k", "3", "XX", "GET")).toBe("1");
      expect(s.command("set", "k", "4", "get")).toBe("3");
      expect(s.command("GET", "k")).toBe("4");
    },
  },
  {
    name: "strings: error replies throw ReplyError with Redis's text",
    async run({ open, expect }) {
      const s = await open();
      expectReplyError(expect, () => s.command("GET", "a", "b"), "ERR wrong number of arguments for 'get' command");
      expectReplyError(expect, () => s.command("SET", "k", "v", "NX", "XX"), "ERR syntax error");
      expectReplyError(expect, () => s.command("SET", "k", "v", "EX", "ten"), "ERR value is not an integer or out of range");
      expectReplyError(expect, () => s.command("SET", "k", "v", "PX", "0"), "ERR invalid expire time in 'set' command");
      expectReplyError(expect, () => s.command("NOSUCH", "a"), "ERR unknown command 'NOSUCH', with args beginning with: 'a' ");
      // A failed command changed nothing, and the store keeps working.
      expect(s.command("EXISTS", "k")).toBe(0);
      expect(s.command("SET", "k", "v")).toBe("OK");
    },
  },
];
