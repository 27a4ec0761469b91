// Raw bytes to a server over TCP, for tests of the protocol itself.
import { createConnection } from "node:net";

/** Sends raw bytes (latin1); returns what the server wrote until it went quiet for quietMs, or closed. */
export function rawExchange(port: number, bytes: string, quietMs = 300): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let data = "";
    let timer: ReturnType<typeof setTimeout>;
    const finish = (closed: boolean) => { clearTimeout(timer); socket.destroy(); resolve({ data, closed }); };
    socket.on("data", (d) => {
      data += d.toString("latin1");
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), quietMs);
    });
    socket.on("close", () => finish(true));
    socket.on("connect", () => { socket.write(Buffer.from(bytes, "latin1")); timer = setTimeout(() => finish(false), quietMs); });
  });
}
