import { describe, expect, it } from "vitest";
import { SseDecoder } from "../../../experts/remote/sse.js";
import { backoffMs, parseRetryAfter } from "../../../experts/remote/retry.js";

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

describe("backoff", () => {
  it("doubles from 200 ms, prefers Retry-After and caps at 5 s", () => {
    expect([0, 1, 2].map((attempt) => backoffMs(attempt))).toEqual([200, 400, 800]);
    expect(backoffMs(0, 1_500)).toBe(1_500);
    expect(backoffMs(10)).toBe(5_000);
    expect(backoffMs(0, 60_000)).toBe(5_000);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("2")).toBe(2_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:03 GMT", now)).toBe(3_000);
  });
});
