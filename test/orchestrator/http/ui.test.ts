/**
 * The dashboard's pure parts: which paths are the open page shell, how a finished instance becomes a
 * trace row, and who sees which trace (the feed over a recording stand-in for the orchestrator's
 * finished-instance hook; the real hook runs in ui.model.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { InstanceOutcome } from "../../../kernel/contracts.js";
import { UI_SHELL_PATHS } from "../../../orchestrator/http/routes/ui.js";
import { DashboardFeed, traceView } from "../../../orchestrator/http/ui/feed.js";
import type { FinishedInstance, Orchestrator } from "../../../orchestrator/orchestrator.js";

const outcome = (id: string): InstanceOutcome => ({
  id,
  text: "85",
  finishReason: "stop",
  usage: { promptTokens: 3, completionTokens: 1 },
  trace: {
    skills: [{ skill: "addition", score: 0.97412 }],
    recruitment: { strategy: "symbolic", recruits: [{ expertId: "zoo-numbers", weight: 0.6666, reason: "addition 12.0" }] },
    aggregation: { method: "single", reason: "one answer" },
    answers: [{ expertId: "zoo-numbers", text: "85", ms: 12 }],
    failures: [],
    warnings: [],
    times: { tagMs: 0.2, recruitMs: 0.1, runMs: 12, aggregateMs: 0.1, totalMs: 12.5 },
  },
});

const finished = (question: string, id = "chatcmpl-1"): FinishedInstance => ({
  instance: { id, messages: [{ role: "system", content: "be brief" }, { role: "user", content: question }] },
  outcome: outcome(id),
  workClass: "online",
});

/** Only what the feed reads of the orchestrator for traces: its finished-instance hook. */
function finishing() {
  const listeners = new Set<(f: FinishedInstance) => void>();
  const orchestrator = {
    onFinished(listener: (f: FinishedInstance) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as Orchestrator;
  return { orchestrator, finish: (f: FinishedInstance) => listeners.forEach((listener) => listener(f)), listeners };
}

describe("the dashboard's open paths", () => {
  it("are the page and its assets, never the event feed or anything else", () => {
    for (const path of ["/ui", "/ui/", "/ui?x=1", "/ui/assets/app.js", "/ui/assets/style.css"]) expect(UI_SHELL_PATHS.test(path), path).toBe(true);
    for (const path of ["/ui/events", "/ui/events?x", "/ui/assets/../events", "/ui/assets/..%2Fevents", "/uix", "/v1/ui", "/ui/assets/a/b.js"]) {
      expect(UI_SHELL_PATHS.test(path), path).toBe(false);
    }
  });
});

describe("trace rows", () => {
  it("carry the last user question, cut to 120 characters, with skills, recruits, aggregation and times", () => {
    const row = traceView(finished("x".repeat(300)), 1000);
    expect(row.question).toHaveLength(120);
    expect(row.question.endsWith("…")).toBe(true);
    expect(traceView(finished("What is 47 plus 38?"), 1000)).toEqual({
      id: "chatcmpl-1",
      at: 1000,
      workClass: "online",
      question: "What is 47 plus 38?",
      skills: [{ skill: "addition", score: 0.974 }],
      strategy: "symbolic",
      recruits: [{ expertId: "zoo-numbers", weight: 0.667, reason: "addition 12.0" }],
      aggregation: { method: "single", reason: "one answer" },
      times: { tagMs: 0.2, recruitMs: 0.1, runMs: 12, aggregateMs: 0.1, totalMs: 12.5 },
      finishReason: "stop",
      failures: 0,
    });
  });
});

describe("the trace feed", () => {
  it("keeps the last N, shows each key its own, admins all, and everyone everything with keys off", () => {
    const { orchestrator, finish, listeners } = finishing();
    let owner: string | undefined = "alice";
    const keyed = new DashboardFeed(orchestrator, 2, true, () => owner);
    const open = new DashboardFeed(orchestrator, 2, false, () => owner);
    const alice = { owner: "alice", admin: false };
    const bob = { owner: "bob", admin: false };
    const admin = { owner: "root", admin: true };
    const bobSaw: string[] = [];
    keyed.subscribe(bob, (trace) => bobSaw.push(trace.question));

    finish(finished("a1"));
    owner = "bob";
    finish(finished("b1"));
    owner = undefined; // work no request asked for (a batch resumed at start-up)
    finish(finished("n1"));

    expect(keyed.traces(alice).map((t) => t.question)).toEqual([]); // a1 fell out of the last 2
    expect(keyed.traces(bob).map((t) => t.question)).toEqual(["b1"]);
    expect(keyed.traces(admin).map((t) => t.question)).toEqual(["b1", "n1"]);
    expect(open.traces(alice).map((t) => t.question)).toEqual(["b1", "n1"]);
    expect(bobSaw).toEqual(["b1"]);

    keyed.close();
    open.close();
    keyed.close();
    expect(listeners.size).toBe(0);
  });
});
