import { describe, expect, it } from "vitest";
import { SseDecoder } from "../../../experts/remote/sse.js";

const STREAM = ': ping\r\n\r\nevent: message\r\ndata: {"a":"é🎉"}\r\n\r\ndata:{"b":2}\n\ndata: [DONE]\n\n';

describe("SseDecoder", () => {
  it("yields the same payloads wherever the bytes are split", () => {
    const bytes = new TextEncoder().encode(STREAM);
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (let second = cut; second <= bytes.length; second += 3) {
        const decoder = new SseDecoder();
        const payloads = [
          ...decoder.push(bytes.subarray(0, cut)),
          ...decoder.push(bytes.subarray(cut, second)),
          ...decoder.push(bytes.subarray(second)),
          ...decoder.end(),
        ];
        expect(payloads, `cuts at ${cut}/${second}`).toEqual(['{"a":"é🎉"}', '{"b":2}', "[DONE]"]);
      }
    }
  });

  it("keeps a last line that has no newline until the end", () => {
    const decoder = new SseDecoder();
    expect(decoder.push(new TextEncoder().encode('data: {"x":1}'))).toEqual([]);
    expect(decoder.end()).toEqual(['{"x":1}']);
  });
});
