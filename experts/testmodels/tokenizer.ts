/**
 * The vocabulary written into every test model: a llama (SentencePiece) vocabulary that llama.cpp
 * tokenises character by character, with ChatML control tokens and a ChatML chat template so that
 * node-llama-cpp picks its ChatML wrapper instead of guessing Llama-2's [INST] format.
 */
import type { KvValue } from "./gguf-writer.js";

/** llama.cpp token types. */
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const BYTE = 6;

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * Qwen 2.5's chat template (ChatML with tools: the tool list in the system turn, calls as
 * `<tool_call>` JSON, results as `<tool_response>` in a user turn), so that node-llama-cpp sees a
 * model trained for function calling. Written in the file by `chatTemplate: "qwen2.5"`.
 */
export const QWEN25_TEMPLATE = [
  "{%- if tools %}",
  "{{- '<|im_start|>system\\n' }}",
  "{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}{%- else %}{{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}{%- endif %}",
  '{{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}',
  '{%- for tool in tools %}{{- "\\n" }}{{- tool | tojson }}{%- endfor %}',
  '{{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}',
  "{%- else %}",
  "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}",
  "{%- endif %}",
  "{%- for message in messages %}",
  '{%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}',
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}",
  '{%- elif message.role == "assistant" %}',
  "{{- '<|im_start|>' + message.role }}",
  "{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}",
  "{%- for tool_call in message.tool_calls %}",
  "{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}",
  "{{- '\\n<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}{{- '\", \"arguments\": ' }}{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}",
  "{%- endfor %}",
  "{{- '<|im_end|>\\n' }}",
  '{%- elif message.role == "tool" %}',
  '{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}{{- \'<|im_start|>user\' }}{%- endif %}',
  "{{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}",
  '{%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}{{- \'<|im_end|>\\n\' }}{%- endif %}',
  "{%- endif %}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join("\n");

export interface TestVocabulary {
  tokens: string[];
  types: number[];
  scores: number[];
  bos: number;
  eos: number;
  unknown: number;
  /** Tokens that decode to printable text: the only ones a test model is allowed to emit. */
  printable: boolean[];
}

export function buildVocabulary(): TestVocabulary {
  const tokens: string[] = [];
  const types: number[] = [];
  const add = (token: string, type: number) => {
    tokens.push(token);
    types.push(type);
  };
  add("<unk>", UNKNOWN);
  add("<s>", CONTROL);
  add("</s>", CONTROL);
  for (let byte = 0; byte < 256; byte++) add(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`, BYTE);
  add("\u2581", NORMAL); // SentencePiece's space
  for (let code = 0x21; code <= 0x7e; code++) add(String.fromCharCode(code), NORMAL);
  // A few whole words and word starts so that generated text looks like text rather than letter soup.
  for (const word of ["the", "and", "of", "to", "in", "is", "it", "that", "for", "on", "with", "as", "was", "are", "an"]) {
    add(`\u2581${word}`, NORMAL);
  }
  add("<|im_start|>", CONTROL);
  add("<|im_end|>", CONTROL);
  // Single characters score higher than words, so merges are rare and the tokenizer stays predictable.
  const scores = tokens.map((token, id) => (types[id] === NORMAL ? -token.length : 0));
  const printable = types.map((type) => type === NORMAL);
  return { tokens, types, scores, bos: 1, eos: 2, unknown: 0, printable };
}

export function vocabularyKv(vocabulary: TestVocabulary, chatTemplate = CHATML_TEMPLATE): Array<readonly [string, KvValue]> {
  return [
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "array", itemType: "string", value: vocabulary.tokens }],
    ["tokenizer.ggml.scores", { type: "array", itemType: "f32", value: vocabulary.scores }],
    ["tokenizer.ggml.token_type", { type: "array", itemType: "i32", value: vocabulary.types }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: vocabulary.bos }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: vocabulary.eos }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: vocabulary.unknown }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.chat_template", { type: "string", value: chatTemplate }],
  ];
}
