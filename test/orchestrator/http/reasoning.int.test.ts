/**
 * Thinking experts through the HTTP door with the official `openai` client: remote experts served
 * by a local OpenAI-compatible test server, one that writes its thinking inline (`<think>...</think>`,
 * a server without a reasoning parser) and one that sends it apart (`reasoning_content`). The answer
 * comes back without the thinking, which is in `reasoning_content`, streamed or not; a vote compares
 * answers only.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { ChatConclave } from "../../../orchestrator/langchain/chat-conclave.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { delay, sendJson, startFakeServer, startSse, type FakeServer } from "../../experts/remote/fake-openai.js";

let remote: FakeServer;
let orchestrator: Orchestrator;
let server: ConclaveServer;
let client: OpenAI;
let baseUrl: string;

const INLINE = ["<thi", "nk>r|s0t0r1a1w1b1e1r2r3y3", "</think>", "3"];
const APART = { reasoning: "strawberry has r at 3, 8, 9", content: "3" };

beforeAll(async () => {
  remote = await startFakeServer();
  remote.handle(async (request, res) => {
    const inline = request.body.model === "inline";
    if (request.body.stream !== true) {
      const message = inline ? { content: INLINE.join("") } : { content: APART.content, reasoning_content: APART.reasoning };
      sendJson(res, 200, { choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop" }], usage: { prompt_tokens: 5, completion_tokens: 20 } });
      return;
    }
    startSse(res);
    const deltas = inline ? INLINE.map((content) => ({ content })) : [{ reasoning_content: APART.reasoning }, { content: APART.content }];
    for (const delta of deltas) {
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
      await delay(1);
    }
    res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`);
  });
  const config = parseConfig(
    {
      experts: [
        { id: "inline", backend: "remote", baseUrl: remote.baseUrl, model: "inline", maxRetries: 0 },
        { id: "apart", backend: "remote", baseUrl: remote.baseUrl, model: "apart", maxRetries: 0 },
      ],
      routing: { strategy: "fixed", fixed: ["inline", "apart"] },
      aggregation: { method: "vote" },
    },
    process.cwd(),
  );
  orchestrator = await Orchestrator.create(config);
  server = await buildServer(orchestrator, { apiKeys: [] });
  const address = await server.app.listen({ port: 0, host: "127.0.0.1" });
  baseUrl = `${address}/v1`;
  client = new OpenAI({ baseURL: baseUrl, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
  await orchestrator?.close();
  await remote?.close();
});

const question = [{ role: "user" as const, content: "How many r's are in strawberry?" }];
type WithReasoning = { reasoning_content?: string };

describe("thinking experts over HTTP", () => {
  it("returns one expert's answer without its inline thinking, which is in reasoning_content", async () => {
    const completion = await client.chat.completions.create({ model: "inline", messages: question });
    const message = completion.choices[0]!.message as typeof completion.choices[0]["message"] & WithReasoning;
    expect(message.content).toBe("3");
    expect(message.reasoning_content).toBe("r|s0t0r1a1w1b1e1r2r3y3");
  });

  it("streams thinking as reasoning_content deltas before the answer's content deltas", async () => {
    for (const model of ["inline", "apart"]) {
      const stream = await client.chat.completions.create({ model, messages: question, stream: true });
      const order: string[] = [];
      let content = "";
      let reasoning = "";
      for await (const chunk of stream) {
        const delta = (chunk.choices[0]?.delta ?? {}) as { content?: string | null } & WithReasoning;
        if (delta.reasoning_content) {
          reasoning += delta.reasoning_content;
          order.push("reasoning");
        }
        if (delta.content) {
          content += delta.content;
          order.push("content");
        }
      }
      expect({ model, content, reasoning, last: order.at(-1), first: order[0] }).toEqual({
        model,
        content: "3",
        reasoning: model === "inline" ? "r|s0t0r1a1w1b1e1r2r3y3" : APART.reasoning,
        last: "content",
        first: "reasoning",
      });
    }
  });

  it("votes on answers alone: thinking that differs does not split a vote whose answers agree", async () => {
    const completion = await client.chat.completions.create({ model: "conclave", messages: question });
    const body = completion as typeof completion & { conclave: { aggregation: { method: string; reason: string }; answers: Array<{ expertId: string; text: string; reasoning?: string }> } };
    const message = completion.choices[0]!.message as typeof completion.choices[0]["message"] & WithReasoning;
    expect(message.content).toBe("3");
    expect(body.conclave.aggregation.method).toBe("vote");
    expect(body.conclave.aggregation.reason).toContain("agreement 1.00");
    expect(body.conclave.answers.map((a) => [a.expertId, a.text, a.reasoning])).toEqual([
      ["inline", "3", "r|s0t0r1a1w1b1e1r2r3y3"],
      ["apart", "3", APART.reasoning],
    ]);
    // The returned thinking is that of an answer that won.
    expect(["r|s0t0r1a1w1b1e1r2r3y3", APART.reasoning]).toContain(message.reasoning_content);
  });

  it("gives LangChain the thinking in additional_kwargs.reasoning_content, in process and over HTTP, whole or streamed", async () => {
    for (const chat of [new ChatConclave({ orchestrator, model: "inline" }), new ChatConclave({ baseUrl, model: "inline" })]) {
      const message = await chat.invoke("How many r's are in strawberry?");
      expect([chat.baseUrl ?? "in-process", message.content, message.additional_kwargs.reasoning_content]).toEqual([chat.baseUrl ?? "in-process", "3", "r|s0t0r1a1w1b1e1r2r3y3"]);
      let content = "";
      let reasoning = "";
      for await (const chunk of await chat.stream("How many r's are in strawberry?")) {
        content += String(chunk.content);
        reasoning += String(chunk.additional_kwargs.reasoning_content ?? "");
      }
      expect([content, reasoning]).toEqual(["3", "r|s0t0r1a1w1b1e1r2r3y3"]);
    }
  });
});
