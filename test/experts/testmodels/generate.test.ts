import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveSpec, writeTestModel, writeTestModelSet } from "../../../experts/testmodels/generate.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-gen-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha = async (path: string) => createHash("sha256").update(await readFile(path)).digest("hex");
const moe = { experts: 4, expertsUsed: 2 };

describe("writeTestModel", () => {
  it("is deterministic for a seed and differs across seeds", async () => {
    const a = await writeTestModel(join(dir, "a.gguf"), { ...moe, seed: 7 });
    const b = await writeTestModel(join(dir, "b.gguf"), { ...moe, seed: 7 });
    const c = await writeTestModel(join(dir, "c.gguf"), { ...moe, seed: 8 });
    expect(await sha(a.path)).toBe(await sha(b.path));
    expect(await sha(a.path)).not.toBe(await sha(c.path));
  });

  it("writes Mixtral-style MoE metadata and counts total and active parameters from the tensors", async () => {
    const info = await writeTestModel(join(dir, "moe.gguf"), { ...moe, embedding: 64, feedForward: 96, layers: 3 });
    const file = await readGgufFileInfo(info.path, { readTensorInfo: true });
    const llama = (file.metadata as unknown as { llama: Record<string, unknown> }).llama;
    expect(llama).toMatchObject({ expert_count: 4, expert_used_count: 2, block_count: 3, embedding_length: 64, feed_forward_length: 96 });
    const elements = (file.tensorInfo ?? []).reduce((sum, t) => sum + t.dimensions.reduce((a: number, d) => a * Number(d), 1), 0);
    expect(info.parameters).toBe(elements);
    // Per layer, 2 of the 4 experts sit idle: 3 matrices of 64 x 96 each.
    expect(info.parameters - info.activeParameters).toBe(3 * 2 * 3 * 64 * 96);
    expect((file.tensorInfo ?? []).find((t) => t.name === "blk.0.ffn_gate_exps.weight")?.dimensions.map(Number)).toEqual([64, 96, 4]);
    expect(file.metadata.tokenizer.chat_template).toContain("<|im_start|>");
  });

  it("writes qwen3moe with its extra keys and per-layer q/k norms", async () => {
    const info = await writeTestModel(join(dir, "qwen.gguf"), { ...moe, architecture: "qwen3moe" });
    const file = await readGgufFileInfo(info.path, { readTensorInfo: true });
    const qwen = (file.metadata as unknown as { qwen3moe: Record<string, unknown> }).qwen3moe;
    expect(qwen).toMatchObject({ expert_count: 4, expert_feed_forward_length: 128 });
    expect(file.tensorInfo?.some((t) => t.name === "blk.1.attn_k_norm.weight")).toBe(true);
  });

  it("grows to a target size with more experts first, within 2%", () => {
    const spec = resolveSpec({ ...moe, targetBytes: 50e6 });
    expect(spec.experts).toBeGreaterThan(100);
    expect(spec.expertsUsed).toBe(2);
    expect(spec.feedForward % 32).toBe(0);
    const dense = resolveSpec({ targetBytes: 5e6 });
    expect(dense.experts).toBe(0);
    expect(dense.feedForward).toBeGreaterThan(128);
  });

  it("reaches the target size on disk", async () => {
    const info = await writeTestModel(join(dir, "sized.gguf"), { ...moe, targetBytes: 8e6 });
    expect(Math.abs(info.bytes - 8e6) / 8e6).toBeLessThan(0.02);
    expect((await stat(info.path)).size).toBe(info.bytes);
  });

  it("refuses impossible shapes with the reason", () => {
    expect(() => resolveSpec({ embedding: 48, heads: 4 })).toThrow(/multiples of 32/);
    expect(() => resolveSpec({ embedding: 64, heads: 5 })).toThrow(/5 heads/);
    expect(() => resolveSpec({ embedding: 60, heads: 4, quant: "F32" })).toThrow(/even/);
    expect(() => resolveSpec({ architecture: "qwen3moe" })).toThrow(/experts >= 2/);
    expect(() => resolveSpec({ experts: 4, expertsUsed: 0 })).toThrow(/expertsUsed/);
  });
});

describe("writeTestModelSet", () => {
  it("reuses files whose spec is unchanged and rewrites those whose spec changed", async () => {
    const setDir = join(dir, "set");
    const first = await writeTestModelSet(setDir, { x: { ...moe, seed: 1 }, y: { ...moe, seed: 2 } });
    const before = { x: (await stat(first.x!.path)).mtimeMs, y: (await stat(first.y!.path)).mtimeMs };
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await writeTestModelSet(setDir, { x: { ...moe, seed: 1 }, y: { ...moe, seed: 3 } });
    expect((await stat(second.x!.path)).mtimeMs).toBe(before.x);
    expect((await stat(second.y!.path)).mtimeMs).not.toBe(before.y);
    expect(second.y!.spec.seed).toBe(3);
  });
});
