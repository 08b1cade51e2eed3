/** The router's abstain message: the configured one, else one written from the catalog it routes over. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../orchestrator/config/load.js";
import { buildRouter } from "../../orchestrator/router.js";
import type { Scheduler } from "../../orchestrator/scheduler/scheduler.js";
import { parseSkillCatalog } from "../../skills/catalog.js";

const catalog = parseSkillCatalog(
  {
    skills: [
      { id: "sql", description: "Writing SQL queries.", keywords: ["sql", "query"] },
      { id: "poetry", description: "Writing poems.", keywords: ["poem"] },
    ],
  },
  "test catalog",
);
const experts = [{ id: "a", backend: "remote", baseUrl: "http://127.0.0.1:9/v1", model: "a" }];
// The lexical tagger never schedules work.
const router = (routing: Record<string, unknown>) => buildRouter({ config: parseConfig({ experts, routing }, "/"), catalog, profile: undefined, available: ["a"], scheduler: {} as Scheduler });

describe("router abstain message", () => {
  it("names the catalog's skills by default", () => {
    expect(router({ abstain: { threshold: 0.3 } }).abstainMessage).toContain("The skills I know are: sql (writing SQL queries); poetry (writing poems).");
  });

  it("is the configured message when there is one", () => {
    expect(router({ abstain: { threshold: 0.3, message: "Ask me about SQL." } }).abstainMessage).toBe("Ask me about SQL.");
  });

  it("abstains through the configured threshold, and routes a question its tagger is sure of", async () => {
    const r = router({ strategy: "fixed", fixed: ["a"], abstain: { threshold: 0.3 } });
    const hello = "hello there";
    expect(r.recruit(await r.tag(hello), hello).recruits).toEqual([]);
    const sql = "Write a SQL query";
    expect(r.recruit(await r.tag(sql), sql).recruits.map((x) => x.expertId)).toEqual(["a"]);
  });
});
