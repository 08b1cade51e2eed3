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

/** Uploads `count` questions as a batch file and creates the batch; answers the batch id. */
async function submitBatch(url: string, count: number, key?: string): Promise<string> {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ custom_id: `q${i}`, method: "POST", url: "/v1/chat/completions", body: { model: "conclave", messages: [{ role: "user", content: QUESTIONS[i % QUESTIONS.length] }] } }),
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
  await page.locator("body").focus();
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

describe.skipIf(!binary)("the dashboard in headless Chromium", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "conclave-ui-"));
    shots = process.env["UPDATE_SCREENSHOTS"] === "1" ? join(PACKAGE_ROOT, "docs") : join(dir, "shots");
    await mkdir(shots, { recursive: true });
    // No experts: the embedded zoo serves, as on a first run.
    const config = parseConfig({ runtime: { gpu: false, maxThreads: 2 }, batches: { dir: join(dir, "batches") } }, dir);
    orchestrator = await Orchestrator.create(config);
    batches = new BatchService(orchestrator, new EmbeddedExecutor(orchestrator, join(dir, "batches", "work")));
    await batches.start();
    open = await buildServer(orchestrator, { apiKeys: [], batches });
    keyed = await buildServer(orchestrator, { apiKeys: [KEY, OTHER_KEY], batches });
    openUrl = await open.app.listen({ port: 0, host: "127.0.0.1" });
    keyedUrl = await keyed.app.listen({ port: 0, host: "127.0.0.1" });
    browser = await launchBrowser(binary!);
  });

  afterAll(async () => {
    await browser?.close();
    await keyed?.close();
    await open?.close();
    await batches?.close();
    await orchestrator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
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
    // The model that answered is resident by the next stats event.
    await expect.poll(() => page.locator("#experts .state-resident").count()).toBeGreaterThan(0);

    // A batch from the API shows its progress; another is cancelled with its button.
    const statuses = new Set<string>();
    const followed = await submitBatch(openUrl, 36);
    const cancelled = await submitBatch(openUrl, 36);
    const row = page.locator(`tr[data-batch="${followed}"]`);
    await row.waitFor();
    const cancel = page.getByRole("button", { name: `Cancel batch ${cancelled}` });
    await expect.poll(() => cancel.isEnabled()).toBe(true);
    await cancel.click();
    const progress = row.locator("progress");
    for (;;) {
      statuses.add((await row.locator("td").nth(1).textContent()) ?? "");
      const [value, max] = [Number(await progress.getAttribute("value")), Number(await progress.getAttribute("max"))];
      if (value > 0 && value < max) statuses.add("partial progress");
      if (statuses.has("completed")) break;
      await page.waitForTimeout(100);
    }
    expect(statuses).toContain("in_progress");
    expect(statuses).toContain("partial progress");
    expect(await row.locator(".progress-text").textContent()).toContain("36 / 36");
    expect(await row.getByRole("button").isDisabled()).toBe(true);
    await page.locator(`tr[data-batch="${cancelled}"] td`, { hasText: "cancelled" }).waitFor();
    expect(((await batches.get(cancelled)) as { status: string }).status).toBe("cancelled");
    await page.locator("#chart polyline").first().waitFor();

    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
    expect(seen).toEqual([]);
    await page.close();
  });

  it("with keys on, asks for a key, keeps it in sessionStorage only, and shows the key's own batches", async () => {
    const noKey = await fetch(`${keyedUrl}/ui/events`);
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    expect((await fetch(`${keyedUrl}/ui`)).status).toBe(200);

    const mine = await submitBatch(keyedUrl, 2, KEY);
    const theirs = await submitBatch(keyedUrl, 2, OTHER_KEY);
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
    expect(seen).toEqual([]);
    await page.close();
  });
});
