import { describe, expect, it } from "vitest";
import type { ChatMessage, Instance } from "../../kernel/contracts.js";
import { dropOldestTurn, fitContext, type ContextWindow } from "../../orchestrator/context-fit.js";
import { expertSchema } from "../../orchestrator/config/schema.js";
import { createExpert } from "../../orchestrator/expert-factory.js";

/** A fake tokenizer: one token per word, two per message for its frame. */
const words = async (messages: ChatMessage[]) => messages.reduce((n, m) => n + 2 + m.content.split(/\s+/).filter(Boolean).length, 0);
const window = (expertId: string, contextSize: number, countTokens: ContextWindow["countTokens"] | null = words): ContextWindow => ({ expertId, contextSize, ...(countTokens ? { countTokens } : {}) });
const ask = (content: string, extra: Partial<Instance> = {}): Instance => ({ id: "i", messages: [{ role: "user", content }], ...extra });
const failure = async (work: Promise<unknown>) => {
  try {
    await work;
  } catch (error) {
    return error as { code: string; param?: string; message: string };
  }
  throw new Error("expected a failure");
};

describe("fitContext", () => {
  it("leaves a chat that fits untouched and shrinks only the default budget to the room left", async () => {
    const instance = ask("one two three");
    expect(await fitContext(instance, [], 256)).toEqual({ instance, warnings: [] });
    expect(await fitContext(instance, [window("a", 1000)], 256)).toEqual({ instance, warnings: [] });
    // 5 tokens of prompt in a 100-token context: the default 256 becomes 95; a request's own 50 stays.
    expect((await fitContext(instance, [window("a", 100)], 256)).maxTokens).toBe(95);
    expect((await fitContext(ask("one two three", { params: { maxTokens: 50 } }), [window("a", 100)], 256)).maxTokens).toBeUndefined();
  });

  it("refuses max_tokens that no context can hold, naming the most the recruits can serve", async () => {
    const error = await failure(fitContext(ask("one two three", { params: { maxTokens: 1e12 } }), [window("big", 1000), window("small", 100)], 256));
    expect(error).toMatchObject({ code: "INVALID_REQUEST", param: "max_tokens" });
    expect(error.message).toContain("max_tokens is too large: 1000000000000. This model supports at most 95 completion tokens");
    expect(error.message).toContain("expert small holds 100 tokens, 5 of them taken by the messages");
  });

  it("refuses a prompt and completion beyond the context with the token counts", async () => {
    const long = ask("word ".repeat(200));
    const error = await failure(fitContext(long, [window("a", 128)], 256));
    expect(error).toMatchObject({ code: "CONTEXT_LENGTH_EXCEEDED", param: "messages" });
    expect(error.message).toBe(
      "This model's maximum context length is 128 tokens (expert a). However, you requested 458 tokens (202 in the messages, 256 in the completion). " +
        'Please reduce the length of the messages or completion, or send conclave.truncate: "oldest" to drop the oldest turns.',
    );
    // A request's own max_tokens counts in full: 5 + 100 > 100.
    expect((await failure(fitContext(ask("one two three", { params: { maxTokens: 96 } }), [window("a", 100)], 256))).code).toBe("CONTEXT_LENGTH_EXCEEDED");
  });

  it("checks only max_tokens where the prompt cannot be measured", async () => {
    const remote = window("remote", 100, null);
    expect(await fitContext(ask("word ".repeat(500)), [remote], 50)).toEqual({ instance: ask("word ".repeat(500)), warnings: [] });
    expect((await failure(fitContext(ask("x", { params: { maxTokens: 100 } }), [remote], 50))).message).toContain("at most 100 completion tokens");
    // A counter that fails leaves the prompt unmeasured (the generation reports the real reason).
    const broken = window("broken", 100, () => Promise.reject(new Error("no file")));
    expect((await fitContext(ask("word ".repeat(500)), [broken], 50)).maxTokens).toBeUndefined();
  });

  it("stops counting at the first context that cannot hold the request", async () => {
    let counted = 0;
    const counting = window("large", 10_000, (messages) => {
      counted += 1;
      return words(messages);
    });
    await failure(fitContext(ask("word ".repeat(300)), [counting, window("small", 100)], 10));
    expect(counted).toBe(0);
  });

  it('drops the oldest turns only when asked (truncate: "oldest"), and says so', async () => {
    const chat: ChatMessage[] = [
      { role: "system", content: "be brief" },
      { role: "user", content: "first ".repeat(40) },
      { role: "assistant", content: "answer ".repeat(40) },
      { role: "user", content: "second ".repeat(20) },
      { role: "assistant", content: "reply ".repeat(20) },
      { role: "user", content: "now this" },
    ];
    const refused = await failure(fitContext({ id: "c", messages: chat }, [window("a", 120)], 20));
    expect(refused.code).toBe("CONTEXT_LENGTH_EXCEEDED");

    const fit = await fitContext({ id: "c", messages: chat, truncate: "oldest" }, [window("a", 120)], 20);
    // 136 tokens; without the first turn (84 tokens) 52 remain, leaving room for the 20 wanted.
    expect(fit.instance.messages.map((m) => m.content.split(" ")[0])).toEqual(["be", "second", "reply", "now"]);
    expect(fit.truncation).toEqual({ droppedMessages: 2, promptTokens: { before: 136, after: 52 }, expertId: "a", contextSize: 120 });
    expect(fit.warnings).toEqual(["conclave.truncate: dropped the 2 oldest messages (136 -> 52 prompt tokens) to fit expert a's 120-token context"]);
    expect(fit.maxTokens).toBeUndefined();
  });

  it("refuses when even the last message alone does not fit, after dropping what it could", async () => {
    const chat: ChatMessage[] = [
      { role: "user", content: "old" },
      { role: "user", content: "word ".repeat(300) },
    ];
    const error = await failure(fitContext({ id: "c", messages: chat, truncate: "oldest" }, [window("a", 100)], 20));
    expect(error.code).toBe("CONTEXT_LENGTH_EXCEEDED");
    expect(error.message).toContain("(302 in the messages, 20 in the completion)");
    expect(error.message).toContain("Dropping the oldest turns (1 messages) was not enough");
  });
});

describe("dropOldestTurn", () => {
  const m = (role: ChatMessage["role"], content: string): ChatMessage => ({ role, content });
  it("drops the first question with its replies, keeping system messages and the last message", () => {
    expect(dropOldestTurn([m("system", "s"), m("user", "q1"), m("assistant", "a1"), m("tool", "t1"), m("user", "q2")])).toEqual([m("system", "s"), m("user", "q2")]);
    expect(dropOldestTurn([m("assistant", "hello"), m("user", "q1"), m("user", "q2")])).toEqual([m("user", "q1"), m("user", "q2")]);
    expect(dropOldestTurn([m("system", "s"), m("user", "only")])).toBeNull();
    expect(dropOldestTurn([m("system", "s")])).toBeNull();
  });
});

describe("a remote expert's context", () => {
  it("is what its config declares, with no token counter (the prompt is the server's to measure)", () => {
    const config = expertSchema.parse({ id: "r", backend: "remote", baseUrl: "http://127.0.0.1:9/v1", model: "m", contextSize: 4096 });
    const expert = createExpert(config, { runtime: { gpu: false, maxThreads: 1 }, models: {} as never, env: {} });
    expect(expert.info.contextSize).toBe(4096);
    expect(expert.countTokens).toBeUndefined();
    const undeclared = createExpert(expertSchema.parse({ id: "u", backend: "remote", baseUrl: "http://127.0.0.1:9/v1", model: "m" }), { runtime: { gpu: false, maxThreads: 1 }, models: {} as never, env: {} });
    expect(undeclared.info.contextSize).toBeUndefined();
  });
});
