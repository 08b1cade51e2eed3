import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../../orchestrator/config/load.js";
import { parseByteSize } from "../../../orchestrator/config/schema.js";

const llama = (id: string, extra: Record<string, unknown> = {}) => ({ id, backend: "llama", model: `${id}.gguf`, ...extra });

describe("config", () => {
  it("loads the commented example config and resolves its paths", async () => {
    const config = await loadConfig(join(import.meta.dirname, "../../../conclave.example.yaml"));
    expect(config.experts.map((e) => e.id)).toEqual(["qwen3-moe", "mixtral", "olmoe", "gpt-oss"]);
    expect(config.memory.budget).toBe(24 * 2 ** 30);
    const mixtral = config.experts[1]!;
    expect(mixtral.backend === "llama" && mixtral.model).toMatch(/\/models\/mixtral-8x7b-instruct-v0\.1\.Q4_K_M\.gguf$/);
    const qwen = config.experts[0]!;
    expect(qwen.backend === "llama" && qwen.model).toBe("hf:Qwen/Qwen3-30B-A3B-GGUF:Q4_K_M");
    expect(Object.isFrozen(config) && Object.isFrozen(config.experts[0])).toBe(true);
  });

  it("fills defaults from the schema only", () => {
    const config = parseConfig({ experts: [llama("a")] }, "/base");
    const expert = config.experts[0]!;
    expect(expert.backend === "llama" && [expert.contextSize, expert.sequences, expert.model]).toEqual([2048, 4, "/base/a.gguf"]);
    expect(config.routing.strategy).toBe("symbolic");
    expect(config.routing.adaptive).toEqual({ p: 0.8, kMin: 1, kMax: 3 });
    expect(config.models.dir).toBe("/base/models");
  });

  it("names every bad key with its reason", () => {
    const bad = () =>
      parseConfig(
        { experts: [llama("a", { contextSize: 3 }), { id: "r", backend: "remote", baseUrl: "nope", model: "m" }], memory: { budget: "12 parsecs" }, colour: "red" },
        "/",
      );
    expect(bad).toThrowError(/experts\[0\]\.contextSize: .*>=64/);
    expect(bad).toThrowError(/experts\[1\]\.baseUrl/);
    expect(bad).toThrowError(/memory\.budget: expected "auto" or a size like "8GiB"/);
    expect(bad).toThrowError(/Unrecognized key: "colour"/);
  });

  it("refuses references to experts that are not configured, and duplicate ids", () => {
    const bad = () =>
      parseConfig(
        {
          experts: [llama("a"), llama("a")],
          aggregation: { aggregator: "ghost" },
          routing: { category: { map: { sql: ["a", "phantom"] } }, abstain: { threshold: 0.4, fallback: "nobody" } },
        },
        "/",
      );
    expect(bad).toThrowError(/routing\.abstain\.fallback: no expert with id "nobody"/);
    expect(bad).toThrowError(/experts\[1\]\.id: duplicate expert id "a"/);
    expect(bad).toThrowError(/aggregation\.aggregator: no expert with id "ghost"/);
    expect(bad).toThrowError(/routing\.category\.map\.sql: no expert with id "phantom"/);
  });

  it("reports a missing file and bad YAML with the path", async () => {
    await expect(loadConfig("/nonexistent/conclave.yaml")).rejects.toMatchObject({ code: "CONFIG_NOT_FOUND" });
    const dir = await mkdtemp(join(tmpdir(), "conclave-config-"));
    const file = join(dir, "bad.yaml");
    await writeFile(file, "experts: [\n  - id: a\n    model: : :");
    await expect(loadConfig(file)).rejects.toThrowError(new RegExp(`${file} is not valid YAML`));
  });

  it("parses byte sizes", () => {
    expect(parseByteSize("8GiB")).toBe(8 * 2 ** 30);
    expect(parseByteSize("1.5 GB")).toBe(1.5e9);
    expect(parseByteSize("300mb")).toBe(300e6);
    expect(parseByteSize(1024)).toBe(1024);
    expect(parseByteSize("12 parsecs")).toBeUndefined();
    expect(parseByteSize(-1)).toBeUndefined();
  });
});
