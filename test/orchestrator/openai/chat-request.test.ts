import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../../../orchestrator/openai/chat-request.js";

const user = [{ role: "user", content: "hi" }];

describe("parseChatRequest", () => {
  it("maps OpenAI parameters onto an instance", () => {
    const parsed = parseChatRequest(
      {
        model: "conclave",
        messages: [{ role: "developer", content: "be brief" }, { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }],
        max_tokens: 50,
        max_completion_tokens: 20,
        temperature: 0.2,
        top_p: 0.9,
        seed: 7,
        stop: "END",
        stream: true,
        stream_options: { include_usage: true },
        response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
        user: "u1",
        metadata: { team: "a" },
      },
      "req-1",
    );
    expect(parsed.instance).toEqual({
      id: "req-1",
      messages: [{ role: "system", content: "be brief" }, { role: "user", content: "ab" }],
      params: { maxTokens: 20, temperature: 0.2, topP: 0.9, seed: 7, stop: ["END"], jsonSchema: { type: "object" } },
    });
    expect(parsed).toMatchObject({ model: "conclave", stream: true, includeUsage: true, user: "u1", metadata: { team: "a" }, warnings: [] });
  });

  it("accepts unknown fields and nulls, and warns about parameters it ignores", () => {
    const parsed = parseChatRequest({ messages: user, frequency_penalty: 1, logit_bias: { "1": 2 }, brand_new_field: 1, temperature: null, stop: null }, "r");
    expect(parsed.model).toBeUndefined();
    expect(parsed.instance.params).toEqual({});
    expect(parsed.warnings).toEqual(["frequency_penalty is not supported and was ignored", "logit_bias is not supported and was ignored"]);
  });

  it("names the field of an invalid request", () => {
    const fails = (body: unknown) => {
      try {
        parseChatRequest(body, "r");
      } catch (error) {
        return error as { code: string; param?: string; message: string };
      }
      throw new Error("expected a failure");
    };
    expect(fails({})).toMatchObject({ code: "INVALID_REQUEST", param: "messages" });
    expect(fails({ messages: [] })).toMatchObject({ param: "messages" });
    expect(fails({ messages: [{ role: "user", content: 3 }] })).toMatchObject({ param: "messages[0].content" });
    expect(fails({ messages: user, temperature: 3 })).toMatchObject({ param: "temperature" });
    expect(fails({ messages: user, stop: ["a", "b", "c", "d", "e"] })).toMatchObject({ param: "stop" });
    expect(fails({ messages: user, response_format: { type: "yaml" } })).toMatchObject({ param: "response_format.type" });
    expect(fails("not an object").message).toMatch(/^body: /);
  });

  it("names fields in OpenAI's bracket form, down to a content part's unknown type", () => {
    const fails = (messages: unknown) => {
      try {
        parseChatRequest({ messages }, "r");
      } catch (error) {
        return error as { code: string; param?: string; message: string };
      }
      throw new Error("expected a failure");
    };
    const hologram = fails([{ role: "system", content: "s" }, { role: "user", content: [{ type: "text", text: "a" }, { type: "hologram" }] }]);
    expect(hologram).toMatchObject({ code: "INVALID_REQUEST", param: "messages[1].content[1].type" });
    expect(hologram.message).toBe('messages[1].content[1].type: unknown type "hologram"; expected one of "text", "refusal", "image_url", "input_audio", "file"');
    expect(fails([{ role: "user", content: [{ type: "text" }] }])).toMatchObject({ param: "messages[0].content[0].text" });
    // Known media parts carry no text: refused as unsupported, never dropped silently.
    expect(fails([{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }] }])).toMatchObject({
      code: "UNSUPPORTED_PARAMETER",
      param: "messages[0].content[0].type",
    });
    expect(parseChatRequest({ messages: [{ role: "assistant", content: [{ type: "refusal", refusal: "no" }] }] }, "r").instance.messages).toEqual([{ role: "assistant", content: "no" }]);
  });

  it("carries conclave.truncate and the field that set the completion budget", () => {
    expect(parseChatRequest({ messages: user, conclave: { truncate: "oldest" } }, "r").instance.truncate).toBe("oldest");
    expect(parseChatRequest({ messages: user, conclave: { truncate: "none" } }, "r").instance).not.toHaveProperty("truncate");
    expect(() => parseChatRequest({ messages: user, conclave: { truncate: "newest" } }, "r")).toThrow(/conclave\.truncate/);
    expect(parseChatRequest({ messages: user, max_tokens: 5 }, "r").maxTokensField).toBe("max_tokens");
    expect(parseChatRequest({ messages: user, max_completion_tokens: 5 }, "r").maxTokensField).toBe("max_completion_tokens");
  });

  it("refuses parameters whose absence would change the answer", () => {
    const code = (body: Record<string, unknown>) => {
      try {
        parseChatRequest({ messages: user, ...body }, "r");
        return "accepted";
      } catch (error) {
        return `${(error as { code: string }).code}:${(error as { param: string }).param}`;
      }
    };
    expect(code({ n: 2 })).toBe("UNSUPPORTED_PARAMETER:n");
    expect(code({ n: 1 })).toBe("accepted");
    expect(code({ logprobs: true })).toBe("UNSUPPORTED_PARAMETER:logprobs");
    expect(code({ functions: [{ name: "f" }] })).toBe("UNSUPPORTED_PARAMETER:functions");
    expect(code({ tools: [] })).toBe("accepted");
  });
});

describe("tools", () => {
  const weather = { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
  const code = (body: Record<string, unknown>) => {
    try {
      parseChatRequest({ messages: user, ...body }, "r");
      return "accepted";
    } catch (error) {
      return `${(error as { code: string }).code}:${(error as { param: string }).param}`;
    }
  };

  it("carries tools, tool_choice, parallel_tool_calls and a tool loop's messages into the instance", () => {
    const parsed = parseChatRequest(
      {
        messages: [
          { role: "user", content: "Weather in Oslo?" },
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
          { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "18 C" }] },
        ],
        tools: [weather],
        tool_choice: { type: "function", function: { name: "get_weather" } },
        parallel_tool_calls: false,
      },
      "r",
    );
    expect(parsed.warnings).toEqual([]);
    expect(parsed.instance).toMatchObject({
      tools: [weather],
      toolChoice: { type: "function", function: { name: "get_weather" } },
      parallelToolCalls: false,
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
        { role: "tool", content: "18 C", toolCallId: "call_1" },
      ],
    });
    expect(parseChatRequest({ messages: user, tools: [weather], tool_choice: "required" }, "r").instance.toolChoice).toBe("required");
    expect(parseChatRequest({ messages: user, tools: [weather] }, "r").instance.toolChoice).toBeUndefined();
  });

  it("refuses what OpenAI refuses, naming the field", () => {
    expect(code({ tools: [{ type: "function" }] })).toBe("INVALID_REQUEST:tools[0].function");
    expect(code({ tools: [{ type: "function", function: { name: "has space" } }] })).toBe("INVALID_REQUEST:tools[0].function.name");
    expect(code({ tools: [weather, weather] })).toBe("INVALID_REQUEST:tools[1].function.name");
    expect(code({ tool_choice: "auto" })).toBe("INVALID_REQUEST:tool_choice");
    expect(code({ tools: [weather], tool_choice: "sometimes" })).toMatch(/^INVALID_REQUEST:tool_choice/);
    expect(code({ tools: [weather], tool_choice: { type: "function", function: { name: "other" } } })).toBe("INVALID_REQUEST:tool_choice.function.name");
    expect(code({ messages: [{ role: "tool", content: "18 C" }] })).toBe("INVALID_REQUEST:messages[0].tool_call_id");
    expect(code({ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f" } }] }] })).toBe(
      "INVALID_REQUEST:messages[0].tool_calls[0].function.arguments",
    );
  });
});
