/**
 * The record protocol of one online attempt's Redis Stream: the worker appends `start` (its id) when
 * it picks the job up, `text` per generated piece of the answer (`reasoning` per piece of a thinking
 * model's thought), then exactly one final record, `done` (the result)
 * or `error` (a coded ConclaveError). Redis orders a stream's entries, and a worker writes all of an
 * attempt's records on one connection, so the reader sees the text in generation order.
 *
 * Every write trims the stream (MAXLEN ~); a final record (the worker's, or the error the API
 * appends when it gives up on an attempt) makes the stream expire `STREAM_TTL_S` later, so one whose
 * reader went away leaks nothing. The reader deletes the stream it finished.
 */
import type { Redis } from "ioredis";
import type { GenerateResult } from "../../experts/spec.js";
import { ConclaveError, ERROR_CATALOGUE, type ErrorCode } from "../../kernel/errors.js";

export type StreamRecord =
  | { kind: "start"; worker: string }
  | { kind: "text"; text: string }
  | { kind: "reasoning"; text: string }
  | { kind: "done"; result: GenerateResult }
  | { kind: "error"; error: ConclaveError };

/** A stream nobody reads any more is gone after this long. */
export const STREAM_TTL_S = 300;
/** Far more than any generation's pieces: the cap only bounds a runaway writer. */
const MAX_LEN = 100_000;

export function encodeRecord(record: StreamRecord): string[] {
  switch (record.kind) {
    case "start":
      return ["k", "start", "w", record.worker];
    case "text":
      return ["k", "text", "t", record.text];
    case "reasoning":
      return ["k", "reasoning", "t", record.text];
    case "done":
      return ["k", "done", "r", JSON.stringify(record.result)];
    case "error":
      return ["k", "error", "c", record.error.code, "m", record.error.message];
    default: {
      const never: never = record;
      throw new Error(`unknown record ${JSON.stringify(never)}`);
    }
  }
}

export function decodeRecord(fields: readonly string[]): StreamRecord {
  const field = (name: string) => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
    return "";
  };
  switch (field("k")) {
    case "start":
      return { kind: "start", worker: field("w") };
    case "text":
      return { kind: "text", text: field("t") };
    case "reasoning":
      return { kind: "reasoning", text: field("t") };
    case "done":
      return { kind: "done", result: JSON.parse(field("r")) as GenerateResult };
    case "error": {
      const code = field("c");
      return { kind: "error", error: new ConclaveError(code in ERROR_CATALOGUE ? (code as ErrorCode) : "EXPERT_FAILED", field("m")) };
    }
    default:
      return { kind: "error", error: new ConclaveError("INTERNAL_ERROR", `unreadable stream record ${JSON.stringify(fields)}`) };
  }
}

/** Appends a record; a final record also arms the stream's expiry. Never awaited per text piece: one connection keeps the order. */
export function append(redis: Redis, key: string, record: StreamRecord): Promise<unknown> {
  const add = redis.xadd(key, "MAXLEN", "~", MAX_LEN, "*", ...encodeRecord(record));
  if (record.kind === "text" || record.kind === "reasoning" || record.kind === "start") return add;
  return Promise.all([add, redis.expire(key, STREAM_TTL_S)]);
}
