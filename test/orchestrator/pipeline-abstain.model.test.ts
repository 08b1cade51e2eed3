/**
 * routing.abstain on the embedded zoo (no config, as `npm start` serves it), through every door: the
 * chat API with the official `openai` client (plain and streamed), a batch, and ChatConclave.
 * "hello" is outside the zoo's skills: an ordinary assistant message that names them, finish_reason
 * stop, and the trace saying why. A skill question is routed to experts as usual.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingTrace } from "../../kernel/contracts.js";
import { disposeRuntime } from "../../experts/llama/runtime.js";
import { parseConfig } from "../../orchestrator/config/load.js";
import { buildServer, type ConclaveServer } from "../../orchestrator/http/server.js";
import { ChatConclave } from "../../orchestrator/langchain/index.js";
import { Orchestrator } from "../../orchestrator/orchestrator.js";

let dir: string;
let orchestrator: Orchestrator;
let server: ConclaveServer;
let client: OpenAI;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-abstain-"));
  orchestrator = await Orchestrator.create(parseConfig({ runtime: { gpu: false, maxThreads: 2 } }, dir));
  server = await buildServer(orchestrator, { apiKeys: [] });
  client = new OpenAI({ baseURL: `${await server.app.listen({ port: 0, host: "127.0.0.1" })}/v1`, apiKey: "unused", maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  await orchestrator?.close();
  await disposeRuntime();
  await rm(dir, { recursive: true, force: true });
});

const traceOf = (value: unknown) => (value as { conclave: RoutingTrace }).conclave;

/** The zoo's message names its six skills, read from its catalog. */
function expectAbstainMessage(text: string) {
  expect(text).toMatch(/^I can't answer that/);
  for (const skill of ["addition", "subtraction", "counting", "reversal", "sorting", "uppercase"]) expect(text).toContain(skill);
  expect(text).toMatch(/configure real models/);
}

describe("the zoo abstains outside its skills, through the chat API", () => {
  it('answers "hello" with the message, finish_reason stop, and the trace saying why', async () => {
    const completion = await client.chat.completions.create({ model: "conclave", messages: [{ role: "user", content: "hello" }] });
    const [choice] = completion.choices;
    expect(choice!.message.role).toBe("assistant");
    expectAbstainMessage(choice!.message.content ?? "");
    expect(choice!.finish_reason).toBe("stop");
    const trace = traceOf(completion);
    expect(trace.recruitment.recruits).toEqual([]);
    expect(trace.recruitment.abstain?.threshold).toBeGreaterThan(0);
    expect(trace.recruitment.abstain!.best?.score ?? 0).toBeLessThan(trace.recruitment.abstain!.threshold);
    expect(trace.aggregation.method).toBe("abstain");
    expect(trace.aggregation.reason).toMatch(/< routing\.abstain\.threshold/);
  });

  it("streams the same message, with the trace in the last chunk", async () => {
    const stream = await client.chat.completions.create({ model: "conclave", messages: [{ role: "user", content: "hello" }], stream: true });
    let text = "";
    let finish: string | null | undefined;
    let trace: RoutingTrace | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
      if ("conclave" in chunk) trace = traceOf(chunk);
    }
    expectAbstainMessage(text);
    expect(finish).toBe("stop");
    expect(trace?.aggregation.method).toBe("abstain");
  });

  it('routes "What is 47 plus 38?" to experts as usual', async () => {
    const completion = await client.chat.completions.create({ model: "conclave", messages: [{ role: "user", content: "What is 47 plus 38?" }] });
    const trace = traceOf(completion);
    expect(trace.recruitment.abstain).toBeUndefined();
    expect(trace.recruitment.recruits.length).toBeGreaterThan(0);
    expect(trace.aggregation.method).not.toBe("abstain");
    expect(completion.choices[0]!.message.content).not.toMatch(/^I can't answer that/);
  });
});

describe("the other doors abstain alike", () => {
  it("a batch answers each line on its own: the out-of-skill one with the message", async () => {
    const results = await orchestrator.runBatch([
      { instance: { id: "hi", messages: [{ role: "user", content: "hello" }] } },
      { instance: { id: "sum", messages: [{ role: "user", content: "What is 47 plus 38?" }] } },
    ]);
    const [hi, sum] = results.map((result) => ("outcome" in result ? result.outcome : undefined));
    expectAbstainMessage(hi!.text);
    expect(hi!.trace.aggregation.method).toBe("abstain");
    expect(sum!.trace.recruitment.recruits.length).toBeGreaterThan(0);
  });

  it("ChatConclave gets the message as an AIMessage with the trace in its metadata", async () => {
    const reply = await new ChatConclave({ orchestrator, temperature: 0 }).invoke("hello");
    expectAbstainMessage(reply.text);
    expect((reply.response_metadata.conclave as RoutingTrace).aggregation.method).toBe("abstain");
  });
});
