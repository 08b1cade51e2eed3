/**
 * Prompt reuse across requests on a real generated GGUF model: a sequence keeps its state after a
 * request, the next turn of the same chat goes to it and evaluates only what is new, and under
 * greedy decoding every answer is identical with and without reuse.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaExpert, type LlamaExpertOptions } from "../../../experts/llama/llama-expert.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import type { ChatMessage } from "../../../kernel/contracts.js";
import { modelFolder, TINY_MOE, type ModelFolder } from "../../helpers/models.js";

let folder: ModelFolder;
let path: string;

const expert = (id: string, reusePrefix: boolean, extra: Partial<LlamaExpertOptions> = {}) =>
  new LlamaExpert({
    id,
    model: path,
    modelsDir: folder.dir,
    allowDownload: false,
    contextSize: 1024,
    sequences: 2,
    threads: 1,
    gpuLayers: 0,
    useMmap: true,
    runtime: { gpu: false, maxThreads: 2 },
    reusePrefix,
    ...extra,
  });

const greedy = { maxTokens: 12, temperature: 0 };

/** Runs a chat turn by turn, each turn carrying the answers so far; returns each turn's result. */
async function converse(e: LlamaExpert, opening: string, questions: string[]) {
  const messages: ChatMessage[] = [{ role: "system", content: opening }];
  const results = [];
  for (const question of questions) {
    messages.push({ role: "user", content: question });
    const result = await e.doGenerate({ messages: [...messages], params: greedy });
    messages.push({ role: "assistant", content: result.text });
    results.push(result);
  }
  return results;
}

beforeAll(async () => {
  folder = await modelFolder("conclave-prefix-");
  // F32: a random-weight model has near-tied logits, and a cached prefix was evaluated in other
  // batch splits than a fresh prompt, so float rounding can flip a greedy choice. Measured: this
  // model in Q8_0 answered the 4th chat turn differently; in F32 every turn is identical.
  path = (await folder.write("prefix-moe", { ...TINY_MOE, quant: "F32" })).path;
});

afterAll(async () => {
  await disposeRuntime();
  await folder.remove();
});

describe("prefix reuse (LlamaExpert, generated MoE model)", () => {
  const opening = "You answer briefly. ".repeat(12);
  const questions = ["What is two plus two?", "And times three?", "Say it in words.", "Thanks, and minus one?"];

  for (const promptFormat of ["chat", "plain"] as const) {
    it(`${promptFormat}: later turns reuse the earlier ones and answer exactly as without reuse`, async () => {
      const on = expert(`on-${promptFormat}`, true, { promptFormat });
      const off = expert(`off-${promptFormat}`, false, { promptFormat });
      try {
        const reused = await converse(on, opening, questions);
        const fresh = await converse(off, opening, questions);
        expect(reused.map((r) => r.text)).toEqual(fresh.map((r) => r.text));
        const counts = (r: (typeof reused)[number]) => [r.usage.promptTokens, r.usage.completionTokens];
        expect(reused.map(counts)).toEqual(fresh.map(counts));
        expect(fresh.map((r) => r.usage.cachedPromptTokens)).toEqual(fresh.map(() => 0));
        expect(reused.slice(1).every((r) => r.usage.cachedPromptTokens === r.prefill!.reusedTokens && r.usage.cachedPromptTokens! > 0)).toBe(true);
        for (const result of fresh) expect(result.prefill).toMatchObject({ reusedTokens: 0 });
        expect(reused[0]!.prefill!.reusedTokens).toBe(0);
        for (const result of reused.slice(1)) {
          const p = result.prefill!;
          // Everything but the new turn (and its template tokens) comes from the cache.
          expect(p.reusedTokens).toBeGreaterThan(p.promptTokens / 2);
          expect(p.evaluatedTokens + p.reusedTokens).toBe(p.promptTokens);
          expect(p.promptTokens).toBe(result.usage.promptTokens);
        }
      } finally {
        await on.close();
        await off.close();
      }
    });
  }

  it("a trained zoo expert answers a run of questions identically with and without reuse", async () => {
    const zoo = fileURLToPath(new URL("../../../zoo/models/zoo-generalist.gguf", import.meta.url));
    const make = (reusePrefix: boolean) =>
      new LlamaExpert({ id: `zoo-${reusePrefix}`, model: zoo, modelsDir: folder.dir, allowDownload: false, contextSize: 256, sequences: 2, threads: 1, gpuLayers: 0, useMmap: true, promptFormat: "plain", runtime: { gpu: false, maxThreads: 2 }, reusePrefix });
    const asks = ["What is 47 plus 38?", "What is 47 plus 39?", "Reverse the word garden.", "Reverse the word gardens.", "Sort the letters of planet.", "What is 90 minus 17?"];
    const [on, off] = [make(true), make(false)];
    try {
      const run = (e: LlamaExpert) => Promise.all(asks.map((content) => e.doGenerate({ messages: [{ role: "user", content }], params: { maxTokens: 16, temperature: 0 } })));
      const first = await run(on);
      const again = await run(on);
      const fresh = await run(off);
      expect(first.map((r) => r.text)).toEqual(fresh.map((r) => r.text));
      expect(again.map((r) => r.text)).toEqual(fresh.map((r) => r.text));
      // Asked again, each question finds its own earlier prompt in a sequence.
      expect(again.some((r) => r.prefill!.reusedTokens > 0)).toBe(true);
    } finally {
      await on.close();
      await off.close();
    }
  });

  it("two interleaved chats each keep their own sequence; a shared few-shot prefix is reused", async () => {
    const on = expert("interleaved", true);
    try {
      const a: ChatMessage[] = [{ role: "user", content: "Alpha conversation, first question about apples." }];
      const b: ChatMessage[] = [{ role: "user", content: "Beta conversation, first question about bananas." }];
      const ra = await on.doGenerate({ messages: a, params: greedy });
      const rb = await on.doGenerate({ messages: b, params: greedy });
      a.push({ role: "assistant", content: ra.text }, { role: "user", content: "And pears?" });
      b.push({ role: "assistant", content: rb.text }, { role: "user", content: "And kiwis?" });
      // B first: with one sequence per chat, B must find its own, not the one A last used.
      const rb2 = await on.doGenerate({ messages: b, params: greedy });
      const ra2 = await on.doGenerate({ messages: a, params: greedy });
      expect(rb2.prefill!.reusedTokens).toBeGreaterThan(rb.prefill!.promptTokens / 2);
      expect(ra2.prefill!.reusedTokens).toBeGreaterThan(ra.prefill!.promptTokens / 2);

      const shots = "Q: 1+1? A: 2. Q: 2+2? A: 4. Q: 3+3? A: 6. ".repeat(6);
      const first = await on.doGenerate({ messages: [{ role: "system", content: shots }, { role: "user", content: "Q: 4+4?" }], params: greedy });
      const second = await on.doGenerate({ messages: [{ role: "system", content: shots }, { role: "user", content: "Q: 5+5?" }], params: greedy });
      expect(second.prefill!.reusedTokens).toBeGreaterThan(shots.length / 2);
      expect(second.prefill!.evaluatedTokens).toBeLessThan(first.prefill!.evaluatedTokens / 2);
    } finally {
      await on.close();
    }
  });
});
