/**
 * The error catalogue: every error conclave raises on purpose has a code here, with its HTTP status,
 * OpenAI error type and whether retrying can help. Errors are recognised by the `isConclaveError`
 * marker, never by class name strings.
 */

export const ERROR_CATALOGUE = {
  CONFIG_INVALID: { status: 500, type: "server_error", retryable: false },
  CONFIG_NOT_FOUND: { status: 500, type: "server_error", retryable: false },
  INVALID_REQUEST: { status: 400, type: "invalid_request_error", retryable: false },
  MODEL_NOT_FOUND: { status: 404, type: "invalid_request_error", retryable: false },
  MODEL_FILE_NOT_FOUND: { status: 503, type: "server_error", retryable: false },
  MODEL_LOAD_FAILED: { status: 503, type: "server_error", retryable: false },
  MODEL_TOO_LARGE: { status: 503, type: "server_error", retryable: false },
  NO_EXPERT_AVAILABLE: { status: 503, type: "server_error", retryable: true },
  EXPERT_FAILED: { status: 502, type: "server_error", retryable: true },
  REMOTE_EXPERT_ERROR: { status: 502, type: "server_error", retryable: true },
  ABORTED: { status: 499, type: "request_aborted", retryable: false },
  CLOSED: { status: 503, type: "server_error", retryable: true },
  /** Fleet mode: the worker running a streamed generation died after the first token went out (no retry can continue it). */
  WORKER_LOST: { status: 503, type: "server_error", retryable: true },
  PROFILE_INVALID: { status: 500, type: "server_error", retryable: false },
  CATALOG_INVALID: { status: 500, type: "server_error", retryable: false },
  BATCH_LINE_INVALID: { status: 400, type: "invalid_request_error", retryable: false },
  VALIDATION_INVALID: { status: 400, type: "invalid_request_error", retryable: false },
  UNSUPPORTED_PARAMETER: { status: 400, type: "invalid_request_error", retryable: false },
  /** The prompt and the requested completion do not fit an expert's context (OpenAI's code of the same name). */
  CONTEXT_LENGTH_EXCEEDED: { status: 400, type: "invalid_request_error", retryable: false },
  INVALID_API_KEY: { status: 401, type: "invalid_request_error", retryable: false },
  ROUTE_NOT_FOUND: { status: 404, type: "invalid_request_error", retryable: false },
  BODY_TOO_LARGE: { status: 413, type: "invalid_request_error", retryable: false },
  RATE_LIMITED: { status: 429, type: "rate_limit_error", retryable: true },
  OVER_CAPACITY: { status: 429, type: "server_error", retryable: true },
  INTERNAL_ERROR: { status: 500, type: "server_error", retryable: true },
  FILE_NOT_FOUND: { status: 404, type: "invalid_request_error", retryable: false },
  BATCH_NOT_FOUND: { status: 404, type: "invalid_request_error", retryable: false },
  /** A replay expert has no recording of the prompt: retrying cannot help, the answer was never recorded. */
  REPLAY_UNKNOWN_PROMPT: { status: 502, type: "server_error", retryable: false },
  REPLAY_RECORDINGS_INVALID: { status: 500, type: "server_error", retryable: false },
  EVAL_INVALID: { status: 400, type: "invalid_request_error", retryable: false },
} as const satisfies Record<string, { status: number; type: string; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

const MARKER = Symbol.for("conclave.error");

export class ConclaveError extends Error {
  readonly [MARKER] = true;
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly retryable: boolean;
  /** The request field or config key at fault, when there is one (OpenAI's `param`). */
  readonly param?: string;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; param?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ConclaveError";
    this.code = code;
    const entry = ERROR_CATALOGUE[code];
    this.status = entry.status;
    this.type = entry.type;
    this.retryable = entry.retryable;
    if (options.param !== undefined) this.param = options.param;
  }
}

export function isConclaveError(value: unknown): value is ConclaveError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
}

/** Wraps anything thrown into a ConclaveError, keeping the original as the cause. */
export function toConclaveError(value: unknown, fallback: ErrorCode = "EXPERT_FAILED"): ConclaveError {
  if (isConclaveError(value)) return value;
  if (isAbortError(value)) return new ConclaveError("ABORTED", "the request was aborted", { cause: value });
  const message = value instanceof Error ? value.message : String(value);
  return new ConclaveError(fallback, message, { cause: value });
}

export function isAbortError(value: unknown): boolean {
  return value instanceof Error && (value.name === "AbortError" || (isConclaveError(value) && value.code === "ABORTED"));
}

/** The OpenAI error body: `{ error: { message, type, param, code } }`. */
export function toOpenAIErrorBody(error: ConclaveError): {
  error: { message: string; type: string; param: string | null; code: string };
} {
  return { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code.toLowerCase() } };
}
