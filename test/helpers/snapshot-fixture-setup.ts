// Global setup of the workers project: takes the snapshot fixture's image on
// Node and hands it to the tests in workerd (base64, through vitest's
// provide/inject), so the conformance suite there restores an image that
// another host took (test/conformance/cases/snapshot.ts).
import type { TestProject } from "vitest/node";
import { openStore } from "../../runtime/store.ts";
import { takeFixtureImage } from "../conformance/cases/snapshot.ts";
import { coreModule } from "./core-bytes.ts";

declare module "vitest" {
  export interface ProvidedContext {
    snapshotImageFromNode: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const image = await takeFixtureImage((options) => openStore(coreModule(), options));
  project.provide("snapshotImageFromNode", Buffer.from(image).toString("base64"));
}
