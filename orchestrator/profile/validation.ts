/**
 * The validation set for `conclave profile`: one JSON object per line,
 *   {"id"?: string, "question": string | "messages": [...], "answer": string | number,
 *    "grade"?: "exact" | "choice" | "number" | "regex", "tolerance"?: number, "pattern"?: string,
 *    "flags"?: string, "skills"?: string[]}
 *
 * Input: the file's text and its name. Output: the valid items and a problem per bad line
 * (`val.jsonl:7: answer is required`); a bad line is skipped and the rest still run, as in batch
 * files. Ids default to the line number; an id seen before makes its line bad. Keys are checked
 * strictly, as in the config: a misspelt "grdae" must not silently fall back to the default grading.
 * Failure: VALIDATION_INVALID when the file cannot be read or no line is usable.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { ChatMessage } from "../../kernel/contracts.js";
import { ConclaveError, isConclaveError } from "../../kernel/errors.js";
import { parseChatRequest } from "../openai/chat-request.js";
import { routingText } from "../pipeline.js";
import { GradeSpecError, resolveGradeSpec, type ResolvedGradeSpec } from "./grade.js";

export interface ValidationItem {
  id: string;
  /** 1-based line in the file. */
  line: number;
  messages: ChatMessage[];
  /** The text a synthesis prompt and the tagger see: the last user message. */
  question: string;
  spec: ResolvedGradeSpec;
  /** Skill keywords given by the line; absent = the tagger decides. */
  skills?: string[];
}

export interface ValidationProblem {
  line: number;
  /** `file:line: reason`, ready to print. */
  message: string;
}

const lineSchema = z
  .strictObject({
    id: z.union([z.string().trim().min(1), z.number().int()]).optional(),
    question: z.string().trim().min(1).optional(),
    messages: z.array(z.unknown()).min(1).optional(),
    answer: z.union([z.string(), z.number()]).optional(),
    grade: z.enum(["exact", "choice", "number", "regex"]).optional(),
    tolerance: z.number().optional(),
    pattern: z.string().min(1).optional(),
    flags: z.string().optional(),
    skills: z.array(z.string().trim().min(1)).min(1, "give at least one skill, or leave skills out for the tagger").optional(),
  })
  .refine((line) => (line.question === undefined) !== (line.messages === undefined), { message: 'give "question" or "messages" (one of them)' });

function reasonOf(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** One line to an item; throws a plain Error whose message is the reason. */
function parseLine(text: string, lineNo: number): ValidationItem {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new Error(`not valid JSON (${(cause as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("must be a JSON object");
  const parsed = lineSchema.safeParse(raw);
  if (!parsed.success) throw new Error(reasonOf(parsed.error));
  const line = parsed.data;
  const id = line.id === undefined ? String(lineNo) : String(line.id);
  let messages: ChatMessage[];
  if (line.question !== undefined) messages = [{ role: "user", content: line.question }];
  else {
    try {
      messages = parseChatRequest({ messages: line.messages }, id).instance.messages;
    } catch (error) {
      throw new Error(isConclaveError(error) ? error.message : String(error));
    }
  }
  let spec: ResolvedGradeSpec;
  try {
    spec = resolveGradeSpec({
      ...(line.grade ? { kind: line.grade } : {}),
      ...(line.answer !== undefined ? { answer: line.answer } : {}),
      ...(line.tolerance !== undefined ? { tolerance: line.tolerance } : {}),
      ...(line.pattern !== undefined ? { pattern: line.pattern } : {}),
      ...(line.flags !== undefined ? { flags: line.flags } : {}),
    });
  } catch (error) {
    if (error instanceof GradeSpecError) throw new Error(error.message);
    throw error;
  }
  const question = routingText(messages);
  if (question.trim() === "") throw new Error("the question is empty");
  return { id, line: lineNo, messages, question, spec, ...(line.skills ? { skills: [...new Set(line.skills)] } : {}) };
}

export function parseValidation(text: string, file: string): { items: ValidationItem[]; problems: ValidationProblem[] } {
  const items: ValidationItem[] = [];
  const problems: ValidationProblem[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === "") return;
    try {
      const item = parseLine(raw, lineNo);
      const first = seen.get(item.id);
      if (first !== undefined) throw new Error(`duplicate id "${item.id}" (first on line ${first})`);
      seen.set(item.id, lineNo);
      items.push(item);
    } catch (error) {
      problems.push({ line: lineNo, message: `${file}:${lineNo}: ${(error as Error).message}` });
    }
  });
  return { items, problems };
}

export async function readValidation(path: string): Promise<{ items: ValidationItem[]; problems: ValidationProblem[] }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ConclaveError("VALIDATION_INVALID", `${path}: cannot read the validation set: ${reason}`, { cause: error });
  }
  const result = parseValidation(text, path);
  if (result.items.length === 0) {
    const why = result.problems.length > 0 ? `; ${result.problems.slice(0, 3).map((p) => p.message).join("; ")}` : "";
    throw new ConclaveError("VALIDATION_INVALID", `${path}: no usable validation question${why}`);
  }
  return result;
}
