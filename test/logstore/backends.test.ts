// The backend conformance suite (backend-cases.ts) against every backend
// that runs on Node: the in-memory reference and the segment-file store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { MemoryLogBackend } from "../../runtime/log/memory-backend.ts";
import { FileLogBackend } from "../../server/logstore/file-backend.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { backendConformance } from "./backend-cases.ts";

const crc32c = await loadCrc32c(coreModule());
const root = mkdtempSync(join(tmpdir(), "trireme-backends-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

backendConformance("memory", {
  crc32c,
  open: async (o) => new MemoryLogBackend({
    region: "memory", crc32c, ...(o?.snapshotsKept === undefined ? {} : { limits: { snapshotsKept: o.snapshotsKept } }),
  }),
});

backendConformance("segment files", {
  crc32c,
  open: (o) => FileLogBackend.open({
    region: "files",
    dir: join(root, `store-${++n}`),
    crc32c,
    ...(o?.segmentBytes === undefined ? {} : { segmentBytes: o.segmentBytes }),
    ...(o?.snapshotsKept === undefined ? {} : { limits: { snapshotsKept: o.snapshotsKept } }),
  }),
});
