import { describe, expect, it } from "vitest";
import { ConclaveError } from "../../../kernel/errors.js";
import { decodeRecord, encodeRecord, type StreamRecord } from "../../../queues/fleet/stream.js";

describe("stream records", () => {
  it("round-trip every kind, text with any characters and errors with their code", () => {
    const records: StreamRecord[] = [
      { kind: "start", worker: "host:1:abc" },
      { kind: "text", text: "k\nv=ü \u0000 " },
      { kind: "reasoning", text: "<think> r|r1\n" },
      { kind: "done", result: { text: "x", finishReason: "length", usage: { promptTokens: 3, completionTokens: 1 }, warnings: ["w"], cost: 0.5 } },
    ];
    for (const record of records) expect(decodeRecord(encodeRecord(record))).toEqual(record);
    const error = decodeRecord(encodeRecord({ kind: "error", error: new ConclaveError("WORKER_LOST", "gone") }));
    expect(error.kind === "error" && [error.error.code, error.error.message, error.error.status]).toEqual(["WORKER_LOST", "gone", 503]);
  });

  it("reads an unknown error code as EXPERT_FAILED and an unknown record as an internal error", () => {
    const unknownCode = decodeRecord(["k", "error", "c", "NOT_A_CODE", "m", "boom"]);
    expect(unknownCode.kind === "error" && unknownCode.error.code).toBe("EXPERT_FAILED");
    const garbage = decodeRecord(["x", "y"]);
    expect(garbage.kind === "error" && garbage.error.code).toBe("INTERNAL_ERROR");
  });
});
