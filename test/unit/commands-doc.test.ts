import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { renderCommandsDoc, COMMANDS_DOC_PATH } from "../../scripts/commands-doc.ts";

describe("docs/COMMANDS.md", () => {
  it("lists exactly the commands of the table (regenerate with: npx node scripts/commands-doc.ts)", () => {
    expect(readFileSync(COMMANDS_DOC_PATH, "utf8")).toBe(renderCommandsDoc());
  });
});
