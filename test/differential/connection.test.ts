import { afterAll, beforeAll, describe, it } from "vitest";
import { Differential } from "./harness.ts";

let diff: Differential;
beforeAll(async () => { diff = await Differential.create(); });
afterAll(() => diff.close());

describe("connection commands against redis-server", () => {
  it("PING and ECHO", async () => {
    await diff.reset();
    await diff.runAll([
      ["PING"], ["PING", "hello"], ["PING", ""], ["PING", "a", "b"], ["ping", "bin\u0000\r\n"],
      ["ECHO", "x"], ["ECHO", ""], ["ECHO"], ["ECHO", "a", "b"],
    ]);
  });
});
