/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a listening server over the embedded zoo, once with keys off and once with keys on (two
 * servers over the same orchestrator and batch service). It checks that the page loads with no
 * console error, that a question asked in the playground (by keyboard) is routed and streamed with
 * its trace, that a batch submitted through the API shows its progress and that the Cancel button
 * cancels one, that with keys on the page asks for a key, keeps it in sessionStorage only and shows
 * the key's own batches, and that axe-core finds no serious or critical accessibility violation.
 *
 * Screenshots go to a temporary folder, or to docs/ with UPDATE_SCREENSHOTS=1 (how the README's
 * were made). Skipped, with one line saying what to install, where there is no chromium (CI=true
 * makes that an error).
 */
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchService } from "../../../orchestrator/batches/service.js";
import { parseConfig } from "../../../orchestrator/config/load.js";
import { buildServer, type ConclaveServer } from "../../../orchestrator/http/server.js";
import { Orchestrator } from "../../../orchestrator/orchestrator.js";
import { EmbeddedExecutor } from "../../../queues/embedded-executor.js";
import type { BatchEngine } from "../../../queues/engine.js";
import { chromiumBinary, launchBrowser, type TestBrowser } from "../../helpers/browser.js";
import { PACKAGE_ROOT } from "../../helpers/paths.js";

const binary = chromiumBinary();
const KEY = "sk-dashboard";
const OTHER_KEY = "sk-someone-else";
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const QUESTIONS = ["What is 47 plus 38?", "Reverse the word garden.", "Sort the letters of planet.", "What is 91 minus 17?", "Upper-case the word river.", "How many r are in strawberry?"];

let dir: string;
let shots: string;
let orchestrator: Orchestrator;
let batches: BatchService;
let open: ConclaveServer;
let keyed: ConclaveServer;
let openUrl: string;
let keyedUrl: string;
let browser: TestBrowser;

const bearer = (key: string | undefined): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

/**
 * The orchestrator as the batch executor's engine, except that lines whose custom_id starts with a
 * held prefix wait until it is released (or their batch is cancelled). So a test sees a batch half
 * done for as long as it needs, however fast the machine runs the rest.
 */
class GatedEngine implements BatchEngine {
  private readonly held = new Map<string, { released: Promise<void>; release: () => void }>();
  constructor(private readonly inner: Orchestrator) {}
  get batchLines() {
    return this.inner.batchLines;
  }
  hold(prefix: string): void {
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held.set(prefix, { released, release });
  }
  release(prefix: string): void {
    this.held.get(prefix)?.release();
  }
  async answer(...[instance, options]: Parameters<BatchEngine["answer"]>) {
    const gate = [...this.held].find(([prefix]) => instance.id.startsWith(prefix))?.[1];
    if (gate) {
      const cancelled = new Promise<void>((resolve) => options.signal?.addEventListener("abort", () => resolve(), { once: true }));
      await Promise.race([gate.released, cancelled]);
    }
    return this.inner.answer(instance, options);
  }
  generateFor(...args: Parameters<BatchEngine["generateFor"]>) {
    return this.inner.generateFor(...args);
  }
  aggregateRecruits(...args: Parameters<BatchEngine["aggregateRecruits"]>) {
    return this.inner.aggregateRecruits(...args);
  }
}
let engine: GatedEngine;

/** Uploads one question per custom_id as a batch file and creates the batch; answers the batch id. */
async function submitBatch(url: string, customIds: readonly string[], key?: string): Promise<string> {
  const lines = customIds.map((customId, i) =>
    JSON.stringify({ custom_id: customId, method: "POST", url: "/v1/chat/completions", body: { model: "conclave", messages: [{ role: "user", content: QUESTIONS[i % QUESTIONS.length] }] } }),
  );
  const form = new FormData();
  form.append("purpose", "batch");
  form.append("file", new Blob([`${lines.join("\n")}\n`]), "questions.jsonl");
  const file = (await (await fetch(`${url}/v1/files`, { method: "POST", body: form, headers: bearer(key) })).json()) as { id: string };
  const created = await fetch(`${url}/v1/batches`, {
    method: "POST",
    headers: { ...bearer(key), "content-type": "application/json" },
    body: JSON.stringify({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" }),
  });
  expect(created.status).toBe(200);
  return ((await created.json()) as { id: string }).id;
}

/** A request whose body is always read, so the client never keeps a connection busy. */
async function call(url: string, init?: RequestInit): Promise<{ status: number; text: string }> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text() };
}

/** Console errors, uncaught exceptions and failed requests of a page, from now on. */
function problems(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") seen.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => seen.push(`exception: ${error.message}`));
  page.on("requestfailed", (request) => {
    // A stream the page itself ends (the feed, on navigation or close) is not a failure.
    if (!request.url().endsWith("/ui/events")) seen.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  return seen;
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA and best practice). */
async function seriousViolations(page: Page): Promise<string[]> {
  // Through the DevTools protocol, so the page's own CSP (script-src 'self') stays on.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }> } }).axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    }),
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Tabs from the top of the page until `id` has the focus; answers how many presses it took. */
async function tabTo(page: Page, id: string, most = 12): Promise<number> {
  for (let presses = 1; presses <= most; presses++) {
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return presses;
  }
  throw new Error(`#${id} was not reached in ${most} presses of Tab`);
}

/** Asks `question` in the playground with the keyboard only; resolves once the streamed answer's trace is shown. */
async function askByKeyboard(page: Page, question: string): Promise<{ answer: string; contentType: string }> {
  // From the top of the page: the skip link is the first stop.
  await page.locator("a.skip").focus();
  await tabTo(page, "question");
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(question);
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("ask");
  const streamed = page.waitForResponse((response) => response.url().endsWith("/v1/chat/completions"));
  await page.keyboard.press("Enter");
  const response = await streamed;
  await page.locator("#trace dt", { hasText: "Stage times" }).waitFor();
  return { answer: (await page.locator("#answer").textContent()) ?? "", contentType: (await response.headerValue("content-type")) ?? "" };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "conclave-ui-"));
  shots = process.env["UPDATE_SCREENSHOTS"] === "1" ? join(PACKAGE_ROOT, "docs") : join(dir, "shots");
  await mkdir(shots, { recursive: true });
  // No experts: the embedded zoo serves, as on a first run. Four of its six models (15 MB each)
  // fit the budget, so a batch across every skill loads and evicts, and the chart shows both.
  const config = parseConfig({ runtime: { gpu: false, maxThreads: 2 }, memory: { budget: 64 * 2 ** 20 }, batches: { dir: join(dir, "batches") } }, dir);
  orchestrator = await Orchestrator.create(config);
  engine = new GatedEngine(orchestrator);
  batches = new BatchService(orchestrator, new EmbeddedExecutor(engine, join(dir, "batches", "work")));
  await batches.start();
  open = await buildServer(orchestrator, { apiKeys: [], batches });
  keyed = await buildServer(orchestrator, { apiKeys: [KEY, OTHER_KEY], batches });
  openUrl = await open.app.listen({ port: 0, host: "127.0.0.1" });
  keyedUrl = await keyed.app.listen({ port: 0, host: "127.0.0.1" });
});

afterAll(async () => {
  await keyed?.close();
  await open?.close();
  await batches?.close();
  await orchestrator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the dashboard's routes", () => {
  it("serve the page shell to anyone and its data only with a key", async () => {
    const shell = await fetch(`${keyedUrl}/ui`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await shell.text()).toContain('<meta name="conclave-api-keys" content="required">');
    expect((await call(`${keyedUrl}/ui/assets/app.js`)).status).toBe(200);
    // Only the page's own files: no path reaches anything else, and an odd name is not even open.
    expect((await call(`${openUrl}/ui/assets/..%2F..%2Froutes%2Fui.ts`)).status).toBe(404);
    expect((await call(`${openUrl}/ui/assets/feed.ts`)).status).toBe(404);
    expect((await call(`${keyedUrl}/ui/assets/..%2Ffeed.ts`)).status).toBe(401);
    const noKey = await fetch(`${keyedUrl}/ui/events`);
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    expect(await (await fetch(`${openUrl}/ui`)).text()).toContain('<meta name="conclave-api-keys" content="none">');
  });

  it("send a snapshot of every expert first, and end open feeds when the server closes", async () => {
    const other = await buildServer(orchestrator, { apiKeys: [KEY], batches });
    const url = await other.app.listen({ port: 0, host: "127.0.0.1" });
    const feed = await fetch(`${url}/ui/events`, { headers: bearer(KEY) });
    expect(feed.headers.get("content-type")).toContain("text/event-stream");
    const reader = feed.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes('"type":"stats"')) text += (await reader.read()).value ?? "";
    expect(text).toContain('"type":"hello"');
    for (const id of orchestrator.statuses.keys()) expect(text).toContain(`"id":"${id}"`);
    // close() resolves only once every connection has ended: a feed left open would hold it.
    await other.close();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += chunk.value;
    expect(rest).toContain("[DONE]");
  });
});

describe.skipIf(!binary)("the dashboard in headless Chromium", () => {
  beforeAll(async () => {
    browser = await launchBrowser(binary!);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("loads with no console error, streams a playground answer, follows and cancels batches, and passes axe", async () => {
    const page = await browser.context.newPage();
    const seen = problems(page);
    await page.goto(`${openUrl}/ui`);
    await page.locator("#connection", { hasText: "Live" }).waitFor();
    await expect.poll(() => page.locator("#experts tbody tr").count()).toBe(orchestrator.statuses.size);

    const { answer, contentType } = await askByKeyboard(page, "What is 47 plus 38?");
    expect(contentType).toContain("text/event-stream");
    expect(answer.length).toBeGreaterThan(0);
    expect(await page.locator("#route").textContent()).toContain("Recruits");
    // The finished request reaches the trace list through the live feed.
    await page.locator("#traces tbody tr", { hasText: "What is 47 plus 38?" }).first().waitFor();
    // A thinking expert's thought is shown beside its answer (zoo-sub-sort walks the word when counting).
    await askByKeyboard(page, "How many times does e appear in decade?");
    expect(await page.locator("#answer").textContent()).toBe("2");
    await page.locator("#trace li", { hasText: "zoo-sub-sort" }).filter({ hasText: "(thought: e|d0e1c1a1d1e2)" }).waitFor();
    // The model that answered is resident by the next stats event.
    await expect.poll(() => page.locator("#experts .state-resident").count()).toBeGreaterThan(0);

    // A batch from the API shows its progress: its second half is held until the page has shown
    // the first half done. Another batch, held entirely, is cancelled with its button.
    engine.hold("later-");
    engine.hold("cancel-");
    const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    const followed = await submitBatch(openUrl, [...ids("now-", 18), ...ids("later-", 18)]);
    const cancelled = await submitBatch(openUrl, ids("cancel-", 36));
    const row = page.locator(`tr[data-batch="${followed}"]`);
    await row.locator("td", { hasText: "in_progress" }).waitFor();
    await row.locator(".progress-text", { hasText: "18 / 36" }).waitFor();
    expect(await row.locator("progress").evaluate((bar: HTMLProgressElement) => [bar.value, bar.max])).toEqual([18, 36]);
    const cancel = page.getByRole("button", { name: `Cancel batch ${cancelled}` });
    await expect.poll(() => cancel.isEnabled()).toBe(true);
    await cancel.click();
    engine.release("later-");
    await row.locator("td", { hasText: "completed" }).waitFor();
    expect(await row.locator(".progress-text").textContent()).toContain("36 / 36");
    expect(await row.getByRole("button").isDisabled()).toBe(true);
    await page.locator(`tr[data-batch="${cancelled}"] td`, { hasText: "cancelled" }).waitFor();
    expect((await batches.get(cancelled)).status).toBe("cancelled");
    expect((await batches.get(cancelled)).request_counts?.completed).toBe(0);
    // One backlog line per expert (a flat line at zero has no height: counted, not waited for as visible).
    await expect.poll(() => page.locator("#chart polyline").count()).toBe(orchestrator.statuses.size);

    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
    expect(seen).toEqual([]);
    await page.close();
  });

  it("with keys on, asks for a key, keeps it in sessionStorage only, and shows the key's own batches", async () => {
    const mine = await submitBatch(keyedUrl, ["mine-0", "mine-1"], KEY);
    const theirs = await submitBatch(keyedUrl, ["theirs-0", "theirs-1"], OTHER_KEY);
    const page = await browser.context.newPage();
    const seen = problems(page);
    const feedCalls: Array<string | undefined> = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/ui/events")) feedCalls.push(request.headers()["authorization"]);
    });
    await page.goto(`${keyedUrl}/ui`);
    await page.locator("#key-panel").waitFor();
    expect(feedCalls).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, "dashboard-key.png") });

    await page.getByRole("textbox", { name: "API key" }).fill(KEY);
    await page.keyboard.press("Enter");
    await page.locator("#connection", { hasText: "Live" }).waitFor();
    expect(feedCalls).toEqual([`Bearer ${KEY}`]);
    expect(await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length, cookies: document.cookie }))).toEqual({ session: 1, local: 0, cookies: "" });
    await page.locator(`tr[data-batch="${mine}"]`).waitFor();
    expect(await page.locator(`tr[data-batch="${theirs}"]`).count()).toBe(0);

    const { answer } = await askByKeyboard(page, "Sort the letters of garden.");
    expect(answer.length).toBeGreaterThan(0);
    await page.locator("#traces tbody tr", { hasText: "Sort the letters of garden." }).waitFor();
    // Traces hold questions: this key sees its own (its batch's two and its question), not another
    // key's batch nor what was asked while keys were off.
    await expect.poll(() => page.locator("#traces tbody tr").count()).toBe(3);
    expect(seen).toEqual([]);
    await page.close();
  });
});
