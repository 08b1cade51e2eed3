// The conclave dashboard: plain DOM code, no build step, no library. It reads the live feed
// (GET /ui/events) with fetch, since EventSource cannot send the Authorization header; with API keys
// on it asks for a key, keeps it in sessionStorage (this tab only) and sends it as a bearer token.
// Every text from the server goes through textContent, never innerHTML.

const KEY_STORAGE = "conclave.apiKey";
const HISTORY = 120;
const COLORS = ["#0b57d0", "#b3261e", "#136c2e", "#8a4b00", "#6a1b9a", "#00695c", "#ad1457", "#37474f"];
const TERMINAL = new Set(["completed", "failed", "cancelled", "expired"]);

const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem(KEY_STORAGE) ?? "", history: [], experts: [], traces: [], ensemble: "conclave", feed: null, retry: 0 };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

function authHeaders(extra = {}) {
  return state.key ? { ...extra, authorization: `Bearer ${state.key}` } : extra;
}

/** Yields the JSON of each `data:` event of a server-sent-events body, until `[DONE]` or the end. */
async function* sseEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart()).join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      yield JSON.parse(data);
    }
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    return body?.error?.message ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

// ---- API key ----

function askForKey(message) {
  $("summary").textContent = "";
  $("key-panel").hidden = false;
  $("key-message").textContent = message;
  $("key-input").focus();
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("key-input").value.trim();
  $("key-input").value = "";
  sessionStorage.setItem(KEY_STORAGE, state.key);
  $("key-panel").hidden = true;
  $("forget-key").hidden = false;
  connect();
});

$("forget-key").addEventListener("click", () => {
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = "";
  $("forget-key").hidden = true;
  connect();
});

// ---- live feed ----

function setConnection(text) {
  $("connection").textContent = text;
}

async function connect() {
  state.feed?.abort();
  const controller = new AbortController();
  state.feed = controller;
  setConnection("Connecting to the live feed…");
  try {
    const response = await fetch("/ui/events", { headers: authHeaders(), signal: controller.signal });
    if (response.status === 401) {
      setConnection("Not connected: an API key is needed.");
      askForKey(state.key ? `The key was refused (${await errorMessage(response)}). Enter another one.` : "This server checks API keys. The key is kept for this browser tab only (sessionStorage) and sent as a bearer token.");
      return;
    }
    if (!response.ok || !response.body) throw new Error(await errorMessage(response));
    $("forget-key").hidden = !state.key;
    setConnection("Live");
    state.retry = 0;
    for await (const event of sseEvents(response.body)) handleEvent(event);
    if (controller.signal.aborted) return;
    setConnection("The server ended the feed; reconnecting…");
  } catch (error) {
    if (controller.signal.aborted) return;
    setConnection(`Feed interrupted (${error.message}); reconnecting…`);
  }
  state.retry = Math.min(state.retry + 1, 5);
  setTimeout(() => state.feed === controller && connect(), 1000 * state.retry);
}

function handleEvent(event) {
  switch (event.type) {
    case "hello":
      state.ensemble = event.ensemble;
      state.history = event.history ?? [];
      state.traces = (event.traces ?? []).slice().reverse();
      $("summary").textContent = `ensemble ${event.ensemble}: ${event.strategy} routing, ${event.aggregation}${event.aggregator ? ` (aggregator ${event.aggregator})` : ""}${event.synthetic ? "; synthetic demo pool, answers are noise" : ""}`;
      renderTraces();
      break;
    case "stats":
      state.experts = event.experts;
      // The chart plots each second's peak backlog (the server watches it four times a second).
      state.history.push({ at: event.at, loads: event.loads, evictions: event.evictions, backlog: event.peakBacklog ?? Object.fromEntries(event.experts.map((e) => [e.id, e.backlog])) });
      if (state.history.length > HISTORY) state.history.shift();
      renderExperts(event);
      renderChart();
      break;
    case "trace":
      state.traces.unshift(event.trace);
      state.traces.length = Math.min(state.traces.length, 50);
      renderTraces();
      break;
    case "batches":
      renderBatches(event.batches);
      break;
  }
}

// ---- experts ----

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function renderExperts(snapshot) {
  const resident = snapshot.experts.filter((e) => e.state === "resident").reduce((sum, e) => sum + e.ramBytes, 0);
  $("budget").textContent = `Resident models use ${mb(resident)} of the ${mb(snapshot.budgetRamBytes)} memory budget. Loads so far: ${snapshot.loads}, evictions: ${snapshot.evictions}.`;
  const rows = snapshot.experts.map((e) => {
    const share = snapshot.budgetRamBytes > 0 ? e.ramBytes / snapshot.budgetRamBytes : 0;
    const memory = el("td", {}, el("meter", { min: 0, max: 1, value: share.toFixed(4), "aria-label": `Memory of ${e.id}` }), ` ${mb(e.ramBytes)} (${(share * 100).toFixed(1)}%)`);
    const name = el("td", {}, el("span", { text: e.id }), e.aggregator ? el("span", { text: " (aggregator)" }) : "");
    return el(
      "tr",
      { "data-expert": e.id },
      name,
      el("td", {}, el("span", { class: `state state-${e.state}`, text: e.state, title: e.unavailable ?? undefined })),
      memory,
      el("td", { class: "num", text: `${e.inFlight} / ${e.slots}` }),
      el("td", { class: "num", text: String(e.backlog) }),
      el("td", { class: "num", text: String(e.loads) }),
      el("td", { class: "num", text: String(e.evictions) }),
      el("td", { class: "num", text: String(e.served) }),
    );
  });
  $("experts").tBodies[0].replaceChildren(...rows);
}

// ---- chart: backlog per expert (lines), loads and evictions per second (ticks below) ----

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderChart() {
  const chart = $("chart");
  const samples = state.history;
  const ids = state.experts.map((e) => e.id);
  const left = 36, right = 630, top = 10, plotBottom = 160, eventsTop = 178, eventsBottom = 210;
  const maxBacklog = Math.max(1, ...samples.flatMap((s) => Object.values(s.backlog)));
  // Time runs right to left from now; a young history spreads over at least 30 seconds.
  const span = Math.max(30, samples.length) - 1;
  const x = (i) => right - ((right - left) * (samples.length - 1 - i)) / span;
  const y = (value) => plotBottom - ((plotBottom - top) * value) / maxBacklog;
  const nodes = [
    svg("line", { class: "axis", x1: left, y1: plotBottom, x2: right, y2: plotBottom }),
    svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: plotBottom }),
    svg("text", { x: 4, y: top + 8 }, String(maxBacklog)),
    svg("text", { x: 4, y: plotBottom }, "0"),
    svg("text", { x: left, y: 174 }, `loads (up) and evictions (down) per second; the last ${span + 1} seconds, now at the right`),
    svg("line", { class: "axis", x1: left, y1: (eventsTop + eventsBottom) / 2, x2: right, y2: (eventsTop + eventsBottom) / 2 }),
  ];
  ids.forEach((id, index) => {
    if (samples.length < 2) return;
    const points = samples.map((s, i) => `${x(i).toFixed(1)},${y(s.backlog[id] ?? 0).toFixed(1)}`).join(" ");
    nodes.push(svg("polyline", { points, fill: "none", stroke: COLORS[index % COLORS.length], "stroke-width": 2 }));
  });
  let loads = 0, evictions = 0;
  const middle = (eventsTop + eventsBottom) / 2;
  for (let i = 1; i < samples.length; i++) {
    const newLoads = Math.max(0, samples[i].loads - samples[i - 1].loads);
    const newEvictions = Math.max(0, samples[i].evictions - samples[i - 1].evictions);
    loads += newLoads;
    evictions += newEvictions;
    if (newLoads) nodes.push(svg("rect", { x: x(i) - 2, y: middle - Math.min(14, 4 * newLoads), width: 4, height: Math.min(14, 4 * newLoads), fill: "#136c2e" }));
    if (newEvictions) nodes.push(svg("rect", { x: x(i) - 2, y: middle, width: 4, height: Math.min(14, 4 * newEvictions), fill: "#b3261e" }));
  }
  chart.replaceChildren(...nodes);
  const legend = ids.map((id, index) => {
    const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = COLORS[index % COLORS.length];
    return el("li", {}, swatch, `backlog of ${id}`);
  });
  const loadSwatch = el("span", { class: "swatch", "aria-hidden": "true" });
  loadSwatch.style.background = "#136c2e";
  const evictSwatch = el("span", { class: "swatch", "aria-hidden": "true" });
  evictSwatch.style.background = "#b3261e";
  $("legend").replaceChildren(...legend, el("li", {}, loadSwatch, "model loads"), el("li", {}, evictSwatch, "evictions"));
  const latest = samples.at(-1);
  const backlogNow = latest ? ids.map((id) => `${id} ${latest.backlog[id] ?? 0}`).join(", ") : "no samples yet";
  $("chart-summary").textContent = `Backlog in the last second (peak): ${backlogNow}. In the last ${samples.length} seconds: ${loads} model loads, ${evictions} evictions.`;
}

// ---- traces ----

const fixed = (n) => (typeof n === "number" ? n.toFixed(n < 10 ? 1 : 0) : "-");

function recruitList(recruits) {
  return el("ul", { class: "plain" }, ...recruits.map((r) => el("li", { text: `${r.expertId} (weight ${r.weight.toFixed(2)}): ${r.reason}` })));
}

/** The recruits in one line, with the reasons behind a disclosure (they are long). */
function recruitSummary(strategy, recruits) {
  const line = recruits.map((r) => `${r.expertId} ${r.weight.toFixed(2)}`).join(", ");
  return el("details", {}, el("summary", { text: `${strategy}: ${line}` }), recruitList(recruits));
}

function renderTraces() {
  $("traces-empty").hidden = state.traces.length > 0;
  const rows = state.traces.map((t) =>
    el(
      "tr",
      {},
      el("td", { text: new Date(t.at).toLocaleTimeString() }),
      el("td", { text: `${t.question}${t.workClass === "batch" ? " (batch)" : ""}` }),
      el("td", { text: t.skills.map((s) => `${s.skill} ${s.score}`).join(", ") || "-" }),
      el("td", {}, recruitSummary(t.strategy, t.recruits)),
      el("td", { text: `${t.aggregation.method}${t.aggregation.aggregator ? ` by ${t.aggregation.aggregator}` : ""}: ${t.aggregation.reason}` }),
      el("td", { text: `tag ${fixed(t.times.tagMs)}, recruit ${fixed(t.times.recruitMs)}, run ${fixed(t.times.runMs)}, aggregate ${fixed(t.times.aggregateMs)}, total ${fixed(t.times.totalMs)}` }),
    ),
  );
  $("traces").tBodies[0].replaceChildren(...rows);
}

// ---- batches ----

function renderBatches(batches) {
  $("batches-empty").hidden = batches.length > 0;
  const rows = batches.map((b) => {
    const counts = b.request_counts ?? { total: 0, completed: 0, failed: 0 };
    const done = counts.completed + counts.failed;
    const cancel = el("button", { type: "button", class: "secondary", text: "Cancel", "aria-label": `Cancel batch ${b.id}` });
    cancel.disabled = TERMINAL.has(b.status) || b.status === "cancelling" || b.status === "finalizing";
    cancel.addEventListener("click", () => cancelBatch(b.id, cancel));
    return el(
      "tr",
      { "data-batch": b.id },
      el("td", { text: b.id }),
      el("td", {}, el("span", { class: `status-${b.status}`, text: b.status })),
      el(
        "td",
        {},
        el("progress", { max: Math.max(1, counts.total), value: done, "aria-label": `Progress of batch ${b.id}` }),
        el("span", { class: "progress-text", text: ` ${done} / ${counts.total}${counts.failed ? ` (${counts.failed} failed)` : ""}` }),
      ),
      el("td", { text: new Date(b.created_at * 1000).toLocaleTimeString() }),
      el("td", {}, cancel),
    );
  });
  $("batches").tBodies[0].replaceChildren(...rows);
}

async function cancelBatch(id, button) {
  button.disabled = true;
  const response = await fetch(`/v1/batches/${encodeURIComponent(id)}/cancel`, { method: "POST", headers: authHeaders() });
  if (!response.ok) {
    button.disabled = false;
    setConnection(`Could not cancel ${id}: ${await errorMessage(response)}`);
  }
}

// ---- playground: route (dry run), then the streamed answer with its trace ----

function kv(pairs) {
  return el("dl", { class: "kv" }, ...pairs.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", {}, value)]));
}

function showError(target, message) {
  target.replaceChildren(el("p", { class: "error", text: message }));
}

$("ask-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  const button = $("ask");
  const answer = $("answer");
  button.disabled = true;
  answer.textContent = "";
  $("trace").replaceChildren();
  $("route").replaceChildren(el("p", { text: "Routing…" }));
  const messages = [{ role: "user", content: question }];
  try {
    const routed = await fetch("/v1/route", { method: "POST", headers: authHeaders({ "content-type": "application/json" }), body: JSON.stringify({ messages }) });
    if (routed.status === 401) askForKey("This server checks API keys: enter one to ask.");
    if (!routed.ok) return showError($("route"), `Routing failed: ${await errorMessage(routed)}`);
    const route = await routed.json();
    $("route").replaceChildren(
      kv([
        ["Skills", route.skills.map((s) => `${s.skill} (${s.score.toFixed(2)})`).join(", ") || "none tagged"],
        ["Strategy", route.recruitment.strategy + (route.recruitment.fallback ? ` (fallback: ${route.recruitment.fallback})` : "")],
        ["Recruits", recruitList(route.recruitment.recruits)],
      ]),
    );
    answer.setAttribute("aria-busy", "true");
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: authHeaders({ "content-type": "application/json" }),
      body: JSON.stringify({ model: state.ensemble, messages, stream: true }),
    });
    if (!response.ok || !response.body) return showError($("trace"), `The request failed: ${await errorMessage(response)}`);
    for await (const chunk of sseEvents(response.body)) {
      if (chunk.error) return showError($("trace"), `The answer failed: ${chunk.error.message}`);
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) answer.textContent += choice.delta.content;
      if (chunk.conclave) renderAnswerTrace(chunk.conclave, choice?.finish_reason);
    }
  } catch (error) {
    showError($("trace"), `The request failed: ${error.message}`);
  } finally {
    answer.setAttribute("aria-busy", "false");
    button.disabled = false;
  }
});

function renderAnswerTrace(trace, finishReason) {
  const t = trace.times;
  $("trace").replaceChildren(
    kv([
      ["Experts", recruitList(trace.recruitment.recruits)],
      ["Answers", el("ul", { class: "plain" }, ...trace.answers.map((a) => el("li", { text: `${a.expertId} (${a.ms} ms): ${a.text}${a.reasoning ? ` (thought: ${a.reasoning.trim()})` : ""}` })))],
      ["Aggregation", `${trace.aggregation.method}${trace.aggregation.aggregator ? ` by ${trace.aggregation.aggregator}` : ""}: ${trace.aggregation.reason}`],
      ["Finish", finishReason ?? "-"],
      ["Stage times", `tag ${fixed(t.tagMs)} ms, recruit ${fixed(t.recruitMs)} ms, run ${fixed(t.runMs)} ms, aggregate ${fixed(t.aggregateMs)} ms, total ${fixed(t.totalMs)} ms`],
      ...(trace.failures?.length ? [["Failures", trace.failures.map((f) => `${f.expertId}: ${f.message}`).join("; ")]] : []),
      ...(trace.warnings?.length ? [["Warnings", trace.warnings.join("; ")]] : []),
    ]),
  );
}

renderChart();
const keysRequired = document.querySelector('meta[name="conclave-api-keys"]')?.getAttribute("content") === "required";
if (keysRequired && !state.key) {
  setConnection("Not connected: an API key is needed.");
  askForKey("This server checks API keys. The key is kept for this browser tab only (sessionStorage) and sent as a bearer token.");
} else {
  connect();
}
