import { describe, expect, it } from "vitest";
import { customIdOf, errorLine, parseBatchLine, successLine } from "../../../orchestrator/batch/lines.js";
import { ConclaveError } from "../../../kernel/errors.js";
import type { InstanceOutcome } from "../../../kernel/contracts.js";

describe("batch lines", () => {
  it("parses the short form with parameters", () => {
    const line = parseBatchLine(
      JSON.stringify({ custom_id: "a", messages: [{ role: "user", content: "hi" }], max_tokens: 12, temperature: 0, seed: 3 }),
      1,
    );
    expect(line).toEqual({ instance: { id: "a", messages: [{ role: "user", content: "hi" }], params: { maxTokens: 12, temperature: 0, seed: 3 } }, warnings: [] });
  });

  it("parses OpenAI's Batch API form, content parts and a model name", () => {
    const line = parseBatchLine(
      JSON.stringify({
        custom_id: "b",
        method: "POST",
        url: "/v1/chat/completions",
        body: { model: "demo-math", messages: [{ role: "user", content: [{ type: "text", text: "2+2" }] }], max_completion_tokens: 5 },
      }),
      7,
    );
    expect(line?.model).toBe("demo-math");
    expect(line?.instance.messages[0]?.content).toBe("2+2");
    expect(line?.instance.params?.maxTokens).toBe(5);
  });

  it("skips blank lines and names the line and field of a bad one", () => {
    expect(parseBatchLine("   ", 3)).toBeNull();
    expect(() => parseBatchLine("{not json", 4)).toThrowError(/^line 4: not valid JSON/);
    expect(() => parseBatchLine(JSON.stringify({ messages: [] }), 5)).toThrowError(/line 5: custom_id must be a non-empty string/);
    expect(() => parseBatchLine(JSON.stringify({ custom_id: "x", messages: [{ role: "robot", content: "" }] }), 6)).toThrowError(
      /line 6: messages\[0\]\.role: Invalid option/,
    );
    expect(() => parseBatchLine(JSON.stringify({ custom_id: "x", messages: [{ role: "user", content: "a" }], max_tokens: "9" }), 8)).toThrowError(
      /line 8: max_tokens: .*expected number/,
    );
    try {
      parseBatchLine(JSON.stringify({ custom_id: "x", messages: "hi" }), 9);
    } catch (error) {
      expect(error).toMatchObject({ code: "BATCH_LINE_INVALID", param: "messages" });
    }
  });

  it("writes OpenAI batch output lines", () => {
    const outcome = {
      id: "a",
      text: "4",
      finishReason: "length",
      usage: { promptTokens: 3, completionTokens: 1 },
      trace: { skills: [] },
    } as unknown as InstanceOutcome;
    const ok = JSON.parse(successLine("a", outcome, "conclave"));
    expect(ok.custom_id).toBe("a");
    expect(ok.error).toBeNull();
    expect(ok.response.status_code).toBe(200);
    expect(ok.response.body.choices[0]).toEqual({ index: 0, message: { role: "assistant", content: "4" }, finish_reason: "length" });
    expect(ok.response.body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
    const bad = JSON.parse(errorLine(customIdOf('{"custom_id":"z","messages":1}'), new ConclaveError("BATCH_LINE_INVALID", "line 2: nope")));
    expect(bad).toMatchObject({ custom_id: "z", response: null, error: { code: "batch_line_invalid", message: "line 2: nope" } });
    expect(customIdOf("{garbage")).toBeNull();
  });
});
