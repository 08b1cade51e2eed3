/** The llama expert's context capability: what it declares, and prompt counts against real generations. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../../kernel/contracts.js";
import { LlamaExpert, usableContext } from "../../../experts/llama/llama-expert.js";
import { disposeRuntime } from "../../../experts/llama/runtime.js";
import { modelFolder, type ModelFolder } from "../../helpers/models.js";

let folder: ModelFolder;
let path: string;
beforeAll(async () => {
  folder = await modelFolder();
  path = (await folder.write("counted")).path;
});
afterAll(async () => {
  await disposeRuntime();
  await folder.remove();
});

const expertFor = (promptFormat: "chat" | "plain") =>
  new LlamaExpert({ id: `e-${promptFormat}`, model: path, modelsDir: folder.dir, allowDownload: false, contextSize: 256, sequences: 1, threads: 1, gpuLayers: 0, useMmap: true, promptFormat, runtime: { gpu: false, maxThreads: 2 } });

const chats: ChatMessage[][] = [
  [{ role: "user", content: "hello there" }],
  [
    { role: "system", content: "be brief" },
    { role: "user", content: "What is 12 times 7?" },
    { role: "assistant", content: "84" },
    { role: "user", content: "and 13?" },
  ],
];

describe("LlamaExpert context", () => {
  it("declares the context a generation can use without node-llama-cpp cutting it", () => {
    expect(expertFor("chat").info.contextSize).toBe(255);
    // A raw completion keeps a tenth free for context shifts and slices longer prompts from the front.
    expect(expertFor("plain").info.contextSize).toBe(256 - 25);
    expect(usableContext(4096, "plain")).toBe(4096 - 409);
  });

  for (const format of ["chat", "plain"] as const) {
    it(`counts a ${format} prompt as the generation feeds it, without loading the model`, async () => {
      const expert = expertFor(format);
      try {
        await expert.countTokens(chats[0]!);
        expect(expert.isLoaded()).toBe(false);
        for (const messages of chats) {
          const counted = await expert.countTokens(messages);
          const { usage } = await expert.doGenerate({ messages, params: { maxTokens: 1, temperature: 0 } });
          // The meter leaves out the prompt token evaluated with the first generated one: never an under-count.
          expect(counted - usage.promptTokens).toBeGreaterThanOrEqual(0);
          expect(counted - usage.promptTokens).toBeLessThanOrEqual(1);
          expect(await expert.countTokens(messages)).toBe(counted); // the resident model counts the same
        }
      } finally {
        await expert.close();
      }
      await expect(expert.countTokens(chats[0]!)).rejects.toMatchObject({ code: "CLOSED" });
    });
  }
});
