// The native batch path and the connection state machine together: commands
// the core could run natively must still be queued inside MULTI and refused
// in RESP2 subscriber mode, exactly as through one-at-a-time execution.
import { describe, expect, it } from "vitest";
import { openStore } from "../../runtime/store.ts";
import { coreModule } from "../helpers/core-bytes.ts";

describe("batches and connection state", () => {
  it("queues natively-run commands inside MULTI, in a batch and one by one", async () => {
    const batched = await openStore(coreModule(), { activeExpireIntervalMs: 0 });
    const single = await openStore(coreModule(), { activeExpireIntervalMs: 0 });
    const commands = [
      ["SET", "a", "1"], ["MULTI"], ["INCR", "a"], ["GET", "a"], ["SET", "b", "2"], ["EXEC"], ["GET", "b"],
      ["WATCH", "a"], ["MULTI"], ["GET", "a"], ["DISCARD"], ["GET", "a"],
    ];
    const expected = commands.map((c) => {
      try { return single.command(...c); } catch (e) { return String(e); }
    });
    expect(batched.batch(commands).values()).toEqual(expected);
    expect(expected).toEqual(["OK", "OK", "QUEUED", "QUEUED", "QUEUED", [2, "2", "OK"], "2", "OK", "OK", "QUEUED", "OK", "2"]);
    batched.close();
    single.close();
  });

  it("refuses natively-run commands to a RESP2 subscriber", async () => {
    const store = await openStore(coreModule(), { activeExpireIntervalMs: 0 });
    store.command("SUBSCRIBE", "news");
    expect(() => store.command("GET", "a")).toThrow(/only \(P\|S\)SUBSCRIBE/);
    const values = store.batch([["GET", "a"], ["PING"]]).values();
    expect(String(values[0])).toMatch(/only \(P\|S\)SUBSCRIBE/);
    expect(values[1]).toEqual(["pong", ""]);
    store.close();
  });
});
