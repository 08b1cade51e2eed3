/**
 * The pipeline's abstain path, driven by a fake router and a scheduler that fails the test if any
 * expert is asked: an abstained request is answered without running a model.
 */
import { describe, expect, it } from "vitest";
import type { Recruitment, SkillTag } from "../../kernel/contracts.js";
import { configSchema } from "../../orchestrator/config/schema.js";
import { aggregate, answer, route, type PipelineParts, type Router } from "../../orchestrator/pipeline.js";
import { abstainRecruitment } from "../../orchestrator/recruit/abstain.js";
import type { Scheduler } from "../../orchestrator/scheduler/scheduler.js";

const defaults = configSchema.parse({});
const untouchable = new Proxy({} as Scheduler, {
  get: (_, name) => () => {
    throw new Error(`the scheduler was asked for ${String(name)}`);
  },
});

function parts(recruitment: Recruitment, message?: string): PipelineParts {
  const router: Router = { tag: async (): Promise<SkillTag[]> => [{ skill: "addition", score: 0.2 }], recruit: () => recruitment, ...(message ? { abstainMessage: message } : {}) };
  return { router, scheduler: untouchable, aggregation: defaults.aggregation, generation: defaults.generation, aggregator: undefined };
}

const abstained = abstainRecruitment("symbolic", [{ skill: "addition", score: 0.2 }], { threshold: 0.45 }, [])!;
const hello = { id: "q1", messages: [{ role: "user" as const, content: "hello" }] };

describe("pipeline when routing abstains", () => {
  it("routes to no recruit without an error, and the route says why", async () => {
    const routed = await route(parts(abstained), hello.messages);
    expect(routed.recruitment.recruits).toEqual([]);
    expect(routed.recruitment.abstain?.reason).toMatch(/0\.200 < routing\.abstain\.threshold 0\.45/);
  });

  it("still refuses an empty recruitment that is not an abstention", async () => {
    await expect(route(parts({ strategy: "symbolic", recruits: [] }), hello.messages)).rejects.toMatchObject({ code: "NO_EXPERT_AVAILABLE" });
  });

  it("answers with the router's message as an ordinary stop turn, streamed once, with no expert run", async () => {
    const streamed: string[] = [];
    const outcome = await answer(parts(abstained, "Only sums here."), hello, { onText: (text) => streamed.push(text) });
    expect(outcome.text).toBe("Only sums here.");
    expect(streamed).toEqual(["Only sums here."]);
    expect(outcome.finishReason).toBe("stop");
    expect(outcome.usage).toEqual({ promptTokens: 0, completionTokens: 0 });
    expect(outcome.trace.aggregation).toEqual({ method: "abstain", reason: abstained.abstain!.reason });
    expect(outcome.trace.recruitment.abstain?.best).toEqual({ skill: "addition", score: 0.2 });
    expect(outcome.trace.answers).toEqual([]);
  });

  it("answers the same way from a queued flow's aggregation with no recruit outcomes", async () => {
    const routed = { skills: [], recruitment: abstained, tagMs: 0, recruitMs: 0 };
    const outcome = await aggregate(parts(abstained, "Only sums here."), hello, routed, [], { runMs: 0, started: performance.now() });
    expect(outcome.text).toBe("Only sums here.");
    expect(outcome.trace.aggregation.method).toBe("abstain");
  });

  it("falls back to a message naming no skill when the router has none", async () => {
    const outcome = await answer(parts(abstained), hello);
    expect(outcome.text).toMatch(/^I can't answer that/);
  });
});

describe("pipeline when routing abstains on a request a message cannot answer", () => {
  it("refuses a structured request naming response_format, and a forced tool call naming tool_choice", async () => {
    const structured = { ...hello, params: { jsonSchema: { type: "object" } } };
    await expect(answer(parts(abstained, "Only sums here."), structured)).rejects.toMatchObject({ code: "UNSUPPORTED_PARAMETER", param: "response_format" });
    const tools = [{ type: "function" as const, function: { name: "add" } }];
    await expect(answer(parts(abstained, "Only sums here."), { ...hello, tools, toolChoice: "required" as const })).rejects.toMatchObject({ code: "UNSUPPORTED_PARAMETER", param: "tool_choice" });
    // With tool_choice auto a text turn is a valid answer.
    expect((await answer(parts(abstained, "Only sums here."), { ...hello, tools })).text).toBe("Only sums here.");
  });
});
