/**
 * Reasoning written inline: models such as DeepSeek-R1, Qwen3 and QwQ (and the zoo's counting
 * experts) think inside `<think>...</think>` before they answer. What a user, a vote or an
 * aggregator compares is the answer after it; the thinking is returned apart, as
 * `reasoning_content` (the field vLLM's reasoning parsers and DeepSeek's API use).
 *
 * Only a block that opens the text counts (leading whitespace aside), as those parsers do: a
 * `<think>` in the middle of an answer is part of the answer. A block still open when generation
 * stopped is all reasoning and leaves an empty answer.
 */

const OPEN = "<think>";
const CLOSE = "</think>";

export interface SplitText {
  /** The thinking, without its tags; undefined when the text has no leading block. */
  reasoning?: string;
  content: string;
}

export function splitReasoning(text: string): SplitText {
  const start = text.length - text.trimStart().length;
  if (!text.startsWith(OPEN, start)) return { content: text };
  const from = start + OPEN.length;
  const end = text.indexOf(CLOSE, from);
  if (end < 0) return { reasoning: text.slice(from), content: "" };
  return { reasoning: text.slice(from, end), content: text.slice(end + CLOSE.length) };
}

/**
 * The same split over a stream of text pieces: each piece goes out as reasoning or as answer as soon
 * as it is known to be one, and a tag cut across pieces is held back until it is whole.
 */
export class ReasoningStream {
  private state: "start" | "thinking" | "answer" = "start";
  private held = "";

  constructor(
    private readonly onContent: (text: string) => void,
    private readonly onReasoning: (text: string) => void,
  ) {}

  push(piece: string): void {
    let text = this.held + piece;
    this.held = "";
    if (this.state === "start") {
      const trimmed = text.trimStart();
      if (trimmed === "" || (trimmed.length < OPEN.length && OPEN.startsWith(trimmed))) {
        this.held = text;
        return;
      }
      if (!trimmed.startsWith(OPEN)) {
        this.state = "answer";
      } else {
        this.state = "thinking";
        text = trimmed.slice(OPEN.length);
      }
    }
    if (this.state === "thinking") {
      const end = text.indexOf(CLOSE);
      if (end < 0) {
        const keep = partialSuffix(text, CLOSE);
        if (text.length > keep) this.onReasoning(text.slice(0, text.length - keep));
        this.held = text.slice(text.length - keep);
        return;
      }
      if (end > 0) this.onReasoning(text.slice(0, end));
      this.state = "answer";
      text = text.slice(end + CLOSE.length);
    }
    if (text !== "") this.onContent(text);
  }

  /** The end of the stream: what is held back goes out as what it turned out to be. */
  end(): void {
    const text = this.held;
    this.held = "";
    if (text === "") return;
    if (this.state === "thinking") this.onReasoning(text);
    else this.onContent(text);
  }
}

/** Length of the longest end of `text` that is a proper start of `tag`. */
function partialSuffix(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) if (text.endsWith(tag.slice(0, n))) return n;
  return 0;
}
