import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { fleetClientFor } from "../../../orchestrator/cli/fleet.js";
import { isConclaveError } from "../../../kernel/errors.js";

describe("fleet wiring", () => {
  it("runs expert calls locally unless server.execution is fleet", () => {
    expect(parseConfig({}, process.cwd()).server.execution).toBe("local");
    expect(fleetClientFor(parseConfig({}, process.cwd()), { REDIS_URL: "redis://127.0.0.1:1" })).toBeUndefined();
  });

  it("refuses fleet mode without REDIS_URL, naming it", () => {
    const config = parseConfig({ server: { execution: "fleet" } }, process.cwd());
    let thrown: unknown;
    try {
      fleetClientFor(config, {});
    } catch (error) {
      thrown = error;
    }
    expect(isConclaveError(thrown) && [thrown.code, thrown.param]).toEqual(["CONFIG_INVALID", "REDIS_URL"]);
  });
});
