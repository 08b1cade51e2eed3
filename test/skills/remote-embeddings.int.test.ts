/** The remote embedder against a real HTTP server speaking OpenAI's /embeddings, used by the matcher. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CATALOG } from "../../skills/default-catalog.js";
import { LexicalTagger } from "../../skills/lexical-tagger.js";
import { SkillMatcher } from "../../skills/matcher.js";
import { remoteEmbedder } from "../../skills/remote-embeddings.js";

// A toy embedding space: a dimension per topic, found by words; everything else shares a third axis.
const TOPICS = [/\b(sql|tabular)\b/i, /\b(biology|organisms?)\b/i];
const vector = (text: string) => [...TOPICS.map((topic) => (topic.test(text) ? 1 : 0)), 0.1];

let server: Server;
let baseUrl: string;
const seen: Array<{ auth?: string; body: { model: string; input: string[] } }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      const body = JSON.parse(raw) as { model: string; input: string[] };
      seen.push({ ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body });
      if (body.model === "broken") {
        res.writeHead(500).end("model crashed");
        return;
      }
      // Returned out of order on purpose: clients must sort by index.
      const data = body.input.map((text, index) => ({ object: "embedding", index, embedding: vector(text) })).reverse();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data, model: body.model }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("remoteEmbedder", () => {
  it("returns one vector per text in input order, sending the model and the key", async () => {
    const embed = remoteEmbedder({ baseUrl, model: "toy", apiKey: "k1", timeoutMs: 5000 });
    expect(await embed(["about sql", "about organisms", "other"])).toEqual([[1, 0, 0.1], [0, 1, 0.1], [0, 0, 0.1]]);
    expect(seen.at(-1)).toEqual({ auth: "Bearer k1", body: { model: "toy", input: ["about sql", "about organisms", "other"] } });
  });

  it("reports the endpoint and status of a failure", async () => {
    const embed = remoteEmbedder({ baseUrl, model: "broken", timeoutMs: 5000 });
    await expect(embed(["x"])).rejects.toMatchObject({ code: "REMOTE_EXPERT_ERROR", message: expect.stringMatching(/\/v1\/embeddings: 500 model crashed/) });
  });

  it("lets the matcher map a keyword the catalog's words do not know", async () => {
    const lexical = new LexicalTagger(DEFAULT_CATALOG);
    const withEmbeddings = new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: 0.5, embed: remoteEmbedder({ baseUrl, model: "toy", timeoutMs: 5000 }) });
    const lexicalOnly = new SkillMatcher(DEFAULT_CATALOG, lexical, { threshold: 0.5 });
    expect((await withEmbeddings.match("tabular retrieval"))?.skill).toBe("sql");
    expect((await lexicalOnly.match("tabular retrieval"))?.skill).not.toBe("sql");
  });
});
