// The engine conformance suite on Node: the core read from build/ on disk.
import { describe, expect, it } from "vitest";
import { openStore, openStoreFromSnapshot } from "../../runtime/store.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { runCase, type ConformanceHost } from "./case.ts";
import { engineCases } from "./engine-cases.ts";
import { takeFixtureImage } from "./cases/snapshot.ts";

const host: ConformanceHost = {
  openStore: (options) => openStore(coreModule(), options),
  restoreStore: (image, options) => openStoreFromSnapshot(coreModule(), image, options),
  imageFromNode: await takeFixtureImage((options) => openStore(coreModule(), options)),
  expect,
};

describe("engine conformance on Node", () => {
  for (const c of engineCases) it(c.name, () => runCase(c, host));
});
