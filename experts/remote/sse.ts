/**
 * Server-sent events, cut into `data:` payloads. Network reads split the stream anywhere (inside a
 * line, inside a multi-byte character), so bytes are decoded in streaming mode and the last partial
 * line is kept until the next read. OpenAI-style servers put one JSON event on each `data:` line, so
 * lines are handled one by one; comments (`:`), `event:`/`id:` fields and blank lines carry nothing.
 */
export class SseDecoder {
  private readonly decoder = new TextDecoder();
  private pending = "";

  /** Feeds one network read; returns the data payloads of the lines it completed. */
  push(bytes: Uint8Array): string[] {
    return this.lines(this.pending + this.decoder.decode(bytes, { stream: true }), false);
  }

  /** Flushes what is left when the stream ends (a last line without its newline). */
  end(): string[] {
    return this.lines(this.pending + this.decoder.decode(), true);
  }

  private lines(text: string, final: boolean): string[] {
    // A lone CR may be the first half of a CRLF split across reads; the empty line it leaves is ignored.
    const lines = text.split(/\r\n|\r|\n/);
    this.pending = final ? "" : (lines.pop() ?? "");
    const payloads: string[] = [];
    for (const line of lines) {
      if (!line.startsWith("data:")) continue;
      const data = line.slice(5).trim();
      if (data !== "") payloads.push(data);
    }
    return payloads;
  }
}
