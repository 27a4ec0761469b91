// The store's side of an append stream, shared by the HTTP/WebSocket service
// (service.ts) and the in-process store (in-process-store.ts, the simulation):
// each append starts at once, so the backend commits whatever arrived as one
// group, and the replies leave in the order the appends came in, whatever
// order the backend finishes them in. A backend that throws answers io-error.

import type { LogBackend } from "./backend.ts";
import { logError, type AppendReply, type AppendRequest } from "./protocol.ts";

export class OrderedAppends {
  private readonly backend: LogBackend;
  private readonly onError: (error: unknown) => void;
  private chain: Promise<void> = Promise.resolve();

  constructor(backend: LogBackend, onError: (error: unknown) => void) {
    this.backend = backend;
    this.onError = onError;
  }

  /** Starts the append now; calls `reply` with its result after every earlier append's reply. */
  append(request: AppendRequest, reply: (result: AppendReply) => void): void {
    const pending = this.backend.append(request).catch((error: unknown): AppendReply => {
      this.onError(error);
      return logError("io-error", error instanceof Error ? error.message : String(error));
    });
    this.chain = this.chain.then(() => pending).then(reply);
  }
}
