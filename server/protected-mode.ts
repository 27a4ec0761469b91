// Protected mode, as Redis 7.0 has it: while the default user has no
// password (no requirepass, `nopass`), a connection that does not come from
// the loopback interface is told why in one error line and closed. A server
// bound to loopback only never sees such connections; one bound beyond it
// (`--bind 0.0.0.0`) is safe by default until a password is set or
// `protected-mode no` says the exposure is meant.

/** Redis 7.0.15's reply to a refused connection, word for word (typos included). */
export const PROTECTED_MODE_DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
  "In this mode connections are only accepted from the loopback interface. " +
  "If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
  "by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible " +
  "from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
  "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the " +
  "protected mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  "4) Setup a an authentication password for the default user. " +
  "NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/**
 * Whether a peer address is the loopback interface the way Redis tests it
 * (exactly 127.0.0.1 or ::1). Node reports IPv4 peers of a dual-stack socket
 * as IPv4-mapped IPv6 ("::ffff:127.0.0.1"), which Redis, binding IPv4 and
 * IPv6 separately, never sees: those are unwrapped first. A peer without an
 * address (a Unix socket) is local.
 */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined || address === "") return true;
  const plain = address.toLowerCase().startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
  return plain === "127.0.0.1" || plain === "::1";
}

export interface ProtectedModeState {
  /** `protected-mode yes|no`. */
  protectedMode: boolean;
  /** The default user has the `nopass` flag (no requirepass). */
  defaultUserNoPassword: boolean;
  /** The connection's peer address, as the socket reports it. */
  remoteAddress: string | undefined;
}

/** Whether protected mode refuses this connection (Redis's clientAcceptHandler). */
export function protectedModeRefuses(state: ProtectedModeState): boolean {
  return state.protectedMode && state.defaultUserNoPassword && !isLoopbackPeer(state.remoteAddress);
}
