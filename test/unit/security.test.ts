// Security pieces without a network: the protected-mode decision, and the
// client state machine authenticating and refusing the way any host (the
// Node server, a Worker's WebSocket) gets it from the runtime.
import { describe, expect, it } from "vitest";
import { isLoopbackPeer, protectedModeRefuses, PROTECTED_MODE_DENIED } from "../../server/protected-mode.ts";
import { Client, type ClientHost } from "../../runtime/client.ts";
import { encodeReply } from "../../runtime/resp.ts";
import { text, toBytes } from "../../runtime/bytes.ts";
import type { Reply } from "../../runtime/reply.ts";
import { Fixture } from "./engine-fixture.ts";

describe("protected mode", () => {
  it("refuses only non-loopback peers, only while the default user has no password", () => {
    const refuses = (remoteAddress: string | undefined, protectedMode = true, defaultUserNoPassword = true) =>
      protectedModeRefuses({ protectedMode, defaultUserNoPassword, remoteAddress });
    for (const local of ["127.0.0.1", "::1", "::ffff:127.0.0.1", "::FFFF:127.0.0.1", undefined]) expect(refuses(local), String(local)).toBe(false);
    // Redis compares with exactly 127.0.0.1 and ::1: other 127/8 addresses are refused.
    for (const remote of ["192.0.2.2", "10.0.0.1", "fd00::2", "fe80::1", "::ffff:192.0.2.2", "127.0.0.2", "0.0.0.0"]) {
      expect(refuses(remote), remote).toBe(true);
      expect(refuses(remote, false), `${remote} with protected-mode no`).toBe(false);
      expect(refuses(remote, true, false), `${remote} with a password`).toBe(false);
    }
    expect(isLoopbackPeer("::ffff:10.0.0.1")).toBe(false);
  });

  it("explains itself in Redis 7.0.15's words, as one error line", () => {
    expect(PROTECTED_MODE_DENIED.startsWith("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.")).toBe(true);
    expect(PROTECTED_MODE_DENIED.endsWith("in order for the server to start accepting connections from the outside.\r\n")).toBe(true);
    expect(PROTECTED_MODE_DENIED.indexOf("\r\n")).toBe(PROTECTED_MODE_DENIED.length - 2);
  });
});

describe("a client of any host", () => {
  async function setup() {
    const f = await Fixture.create();
    const made: Array<{ client: Client; disconnected: boolean }> = [];
    const connect = () => {
      const state = { client: undefined as unknown as Client, disconnected: false };
      const host: ClientHost = { deliver() {}, resumed() {}, disconnect() { state.disconnected = true; }, describe: () => "id=1 addr=worker" };
      state.client = new Client(f.engine, host);
      made.push(state);
      return state;
    };
    const send = (c: Client, ...args: string[]) => {
      const outcome = c.execute(args.map(toBytes));
      return text(encodeReply(outcome as Reply, c.session.protocol));
    };
    return { f, connect, send };
  }

  it("logs in with AUTH or HELLO AUTH once a password is required", async () => {
    const { f, connect, send } = await setup();
    const admin = connect();
    f.engine.acl.setRequirePass("pw");
    expect(f.engine.acl.requirepass).toBe("pw");
    const c = connect().client;
    expect(send(c, "GET", "k")).toBe("-NOAUTH Authentication required.\r\n");
    expect(send(c, "HELLO", "3", "AUTH", "default", "bad")).toBe("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    expect(send(c, "HELLO", "3", "AUTH", "default", "pw")).toContain("proto\r\n:3");
    expect(c.session.protocol).toBe(3);
    expect(send(c, "GET", "k")).toBe("_\r\n");
    // The connection opened before the password stays logged in.
    expect(send(admin.client, "PING")).toBe("+PONG\r\n");
    const [entry] = f.engine.acl.logEntries(1);
    expect(entry).toMatchObject({ reason: 3, context: "toplevel", object: "HELLO", username: "default", clientInfo: "id=1 addr=worker" });
    f.engine.acl.setRequirePass("");
    expect(f.engine.acl.defaultUser.nopass).toBe(true);
  });

  it("is logged out and disconnected when its user is deleted", async () => {
    const { connect, send } = await setup();
    const admin = connect().client;
    expect(send(admin, "ACL", "SETUSER", "w", "on", ">p", "+@all", "~*")).toBe("+OK\r\n");
    const worker = connect();
    expect(send(worker.client, "AUTH", "w", "p")).toBe("+OK\r\n");
    expect(send(worker.client, "ACL", "WHOAMI")).toBe("$1\r\nw\r\n");
    expect(send(admin, "ACL", "DELUSER", "w")).toBe(":1\r\n");
    expect(worker.disconnected).toBe(true);
    expect(worker.client.user.name).toBe("default");
    expect(worker.client.authenticated).toBe(false);
  });
});
