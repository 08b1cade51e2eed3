/**
 * The zoo's vocabulary: single characters only (SentencePiece's space, printable ASCII, byte
 * fallback), no merges and no space prefix, so llama.cpp tokenises every prompt exactly as
 * `encode` does here. The parity test checks that on every prompt it uses.
 */
import type { KvValue } from "../experts/testmodels/gguf-writer.js";

const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const BYTE = 6;

export const BOS = 1;
export const EOS = 2;
const BYTE_BASE = 3;
const SPACE = BYTE_BASE + 256;
const PRINTABLE_BASE = SPACE + 1;

export interface ZooVocabulary {
  tokens: string[];
  types: number[];
}

export function zooVocabulary(): ZooVocabulary {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types = [UNKNOWN, CONTROL, CONTROL];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(BYTE);
  }
  tokens.push("\u2581");
  types.push(NORMAL);
  for (let code = 0x21; code <= 0x7e; code++) {
    tokens.push(String.fromCharCode(code));
    types.push(NORMAL);
  }
  return { tokens, types };
}

export const VOCAB_SIZE = zooVocabulary().tokens.length;

/** Text to token ids (no BOS): spaces to "▁", printable ASCII to itself, anything else to its UTF-8 bytes. */
export function encode(text: string): number[] {
  const ids: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code === 0x20) ids.push(SPACE);
    else if (code >= 0x21 && code <= 0x7e) ids.push(PRINTABLE_BASE + code - 0x21);
    else for (const byte of Buffer.from(char, "utf8")) ids.push(BYTE_BASE + byte);
  }
  return ids;
}

export function decode(ids: readonly number[]): string {
  const bytes: number[] = [];
  for (const id of ids) {
    if (id === SPACE) bytes.push(0x20);
    else if (id >= PRINTABLE_BASE) bytes.push(0x21 + id - PRINTABLE_BASE);
    else if (id >= BYTE_BASE && id < SPACE) bytes.push(id - BYTE_BASE);
  }
  return Buffer.from(bytes).toString("utf8");
}

export function vocabularyKv(): Array<readonly [string, KvValue]> {
  const { tokens, types } = zooVocabulary();
  return [
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "array", itemType: "string", value: tokens }],
    ["tokenizer.ggml.scores", { type: "array", itemType: "f32", value: tokens.map(() => 0) }],
    ["tokenizer.ggml.token_type", { type: "array", itemType: "i32", value: types }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: BOS }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: EOS }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: 0 }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.ggml.add_space_prefix", { type: "bool", value: false }],
  ];
}
