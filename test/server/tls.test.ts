// RESP over TLS (--tls-port), with real clients: redis-cli --tls and
// ioredis. A throwaway CA, a server certificate for localhost/127.0.0.1 and
// client certificates (one from the CA, one from a stranger CA) are made
// with openssl in a temp folder. tls-auth-clients yes|optional|no decide
// whether a client must show a certificate signed by the CA.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { createConnection } from "node:net";
import { Redis } from "ioredis";
import { freePortGuess, startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";

let dir: string;
const file = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: "pipe" });
}

/** A CA, and a key + certificate signed by it (with the given extensions). */
function makeCa(name: string): void {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file(`${name}.key`), "-out", file(`${name}.crt`),
    "-days", "2", "-subj", `/CN=${name}`);
}

function makeSigned(name: string, ca: string, extensions: string): void {
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", file(`${name}.key`), "-out", file(`${name}.csr`), "-subj", `/CN=${name}`);
  writeFileSync(file(`${name}.ext`), extensions);
  openssl("x509", "-req", "-in", file(`${name}.csr`), "-CA", file(`${ca}.crt`), "-CAkey", file(`${ca}.key`), "-CAcreateserial",
    "-out", file(`${name}.crt`), "-days", "2", "-extfile", file(`${name}.ext`));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "trireme-tls-"));
  makeCa("ca");
  makeCa("stranger-ca");
  makeSigned("server", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  makeSigned("client", "ca", "extendedKeyUsage=clientAuth\n");
  makeSigned("stranger", "stranger-ca", "extendedKeyUsage=clientAuth\n");
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function startTls(auth: "yes" | "no" | "optional"): Promise<{ server: RunningTrireme; tlsPort: number }> {
  for (let attempt = 1; ; attempt++) {
    const tlsPort = freePortGuess();
    try {
      const server = await startTrireme([
        "--tls-port", String(tlsPort), "--tls-cert-file", file("server.crt"), "--tls-key-file", file("server.key"),
        "--tls-ca-cert-file", file("ca.crt"), "--tls-auth-clients", auth,
      ], {}, 1);
      // The helper waits for the plain port; the TLS listener comes up just after it.
      const deadline = Date.now() + 10_000;
      while (!(await accepts(tlsPort))) {
        if (Date.now() > deadline) throw new Error(`TLS port ${tlsPort} not listening:\n${server.output()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return { server, tlsPort };
    } catch (error) {
      if (attempt >= 5 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

/** redis-cli over TLS; `client` names the certificate to show, if any. Returns stdout, or the failure. */
function cliTls(port: number, client: string | null, ...command: string[]): { ok: boolean; out: string } {
  const args = ["-p", String(port), "--tls", "--cacert", file("ca.crt")];
  if (client !== null) args.push("--cert", file(`${client}.crt`), "--key", file(`${client}.key`));
  const r = spawnSync("redis-cli", [...args, ...command], { encoding: "utf8", timeout: 10_000 });
  const out = (r.stdout + r.stderr).trim();
  return { ok: r.status === 0 && !/error|Could not connect|closed/i.test(out), out };
}

function ioredisTls(port: number, client: string | null): Redis {
  return new Redis({
    port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null,
    tls: {
      ca: readFileSync(file("ca.crt")), servername: "localhost",
      ...(client === null ? {} : { cert: readFileSync(file(`${client}.crt`)), key: readFileSync(file(`${client}.key`)) }),
    },
  });
}

describe("TLS with tls-auth-clients yes (Redis's default)", () => {
  let server: RunningTrireme;
  let tlsPort: number;
  beforeAll(async () => ({ server, tlsPort } = await startTls("yes")));
  afterAll(async () => { await server.stop(); });

  it("serves redis-cli --tls with a client certificate from the CA", () => {
    expect(cliTls(tlsPort, "client", "PING").out).toBe("PONG");
    expect(cliTls(tlsPort, "client", "SET", "secure", "value with spaces").out).toBe("OK");
    expect(cliTls(tlsPort, "client", "GET", "secure").out).toBe("value with spaces");
    // The same engine behind the plain port.
    expect(execFileSync("redis-cli", ["-p", String(server.port), "GET", "secure"], { encoding: "utf8" }).trim()).toBe("value with spaces");
  });

  it("refuses clients without a certificate, or with one from another CA", () => {
    expect(cliTls(tlsPort, null, "PING").ok).toBe(false);
    expect(cliTls(tlsPort, "stranger", "PING").ok).toBe(false);
    expect(cliTls(tlsPort, "client", "PING").out).toBe("PONG");
  });

  it("serves ioredis with tls options: pipelines, binary values, RESP3", async () => {
    const redis = ioredisTls(tlsPort, "client");
    await redis.connect();
    try {
      const binary = Buffer.from([0, 1, 2, 13, 10, 255]);
      const results = await redis.pipeline().set("bin", binary).getBuffer("bin").incr("n").incr("n").exec();
      expect(results!.map(([error, value]) => [error, value])).toEqual([[null, "OK"], [null, binary], [null, 1], [null, 2]]);
      const big = "x".repeat(1_000_000);
      await redis.set("big", big);
      expect(await redis.get("big")).toBe(big);
      expect(await redis.call("HELLO", "3")).toBeTruthy();
    } finally {
      redis.disconnect();
    }
  });

  it("makes ioredis fail without a client certificate", async () => {
    const redis = ioredisTls(tlsPort, null);
    redis.on("error", () => {});
    await expect(redis.connect().then(() => redis.ping())).rejects.toBeTruthy();
    redis.disconnect();
  });

  it("survives plain RESP and garbage sent to the TLS port", async () => {
    for (const bytes of ["PING\r\n", "*1\r\n$4\r\nPING\r\n", "\x16\x03\x01\x00\x05hello", "\x00".repeat(5000)]) {
      await new Promise<void>((resolve) => {
        const socket = createConnection({ host: "127.0.0.1", port: tlsPort }, () => socket.write(Buffer.from(bytes, "latin1")));
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        setTimeout(() => { socket.destroy(); resolve(); }, 2000);
      });
    }
    expect(cliTls(tlsPort, "client", "GET", "secure").out).toBe("value with spaces");
  });
});

describe("TLS with tls-auth-clients optional and no", () => {
  it("optional: takes clients without a certificate, refuses a bad one", async () => {
    const { server, tlsPort } = await startTls("optional");
    try {
      expect(cliTls(tlsPort, null, "PING").out).toBe("PONG");
      expect(cliTls(tlsPort, "client", "PING").out).toBe("PONG");
      expect(cliTls(tlsPort, "stranger", "PING").ok).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it("no: asks for no certificate; the server is still authenticated by its own", async () => {
    const { server, tlsPort } = await startTls("no");
    try {
      expect(cliTls(tlsPort, null, "PING").out).toBe("PONG");
      const redis = ioredisTls(tlsPort, null);
      await redis.connect();
      expect(await redis.echo("over tls")).toBe("over tls");
      redis.disconnect();
      // A client that does not trust the server's CA refuses the server.
      const refused = await new Promise<boolean>((resolve) => {
        const socket = tlsConnect({ host: "127.0.0.1", port: tlsPort, servername: "localhost", ca: readFileSync(file("stranger-ca.crt")) });
        socket.once("secureConnect", () => { socket.destroy(); resolve(false); });
        socket.once("error", () => resolve(true));
      });
      expect(refused).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("refuses to start without the certificate files, saying which setting is missing", async () => {
    await expect(startTrireme(["--tls-port", "45999", "--tls-auth-clients", "no"])).rejects.toThrow(/tls-cert-file/);
    await expect(startTrireme(["--tls-port", "45999", "--tls-cert-file", file("server.crt"), "--tls-key-file", file("server.key")]))
      .rejects.toThrow(/tls-ca-cert-file/);
  });
});
