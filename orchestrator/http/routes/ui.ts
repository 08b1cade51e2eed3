/**
 * The dashboard: `GET /ui` serves one static page (no build step, no CDN; plain DOM code in
 * ../ui/static), and `GET /ui/events` feeds it live over server-sent events.
 *
 * Only the page shell (`/ui` and `/ui/assets/*`) is open; the events stream acts for the request's
 * principal like every API route, so with keys on it needs `Authorization: Bearer <key>`. The page
 * reads the stream with fetch (EventSource cannot send headers) and keeps the key in sessionStorage.
 *
 * Events, each one `data: {"type": ...}`: `hello` (config summary, two minutes of samples of
 * loads, evictions and each second's peak backlog, the viewer's recent traces), then `stats` every
 * second (every expert's state, memory, sequences, backlog and that second's peak backlog),
 * `trace` for each instance answered (the viewer's own unless
 * admin or keys off, see ../ui/feed.ts) and `batches` whenever the viewer's batch list changes.
 * Streams end when the server closes (before it waits for connections), so they never hold a
 * shutdown open.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply } from "fastify";
import { ConclaveError } from "../../../kernel/errors.js";
import type { BatchService } from "../../batches/service.js";
import type { Principal } from "../../principal.js";
import type { ServerContext } from "../context.js";
import { SseStream } from "../sse.js";
import { DashboardFeed, type Snapshot } from "../ui/feed.js";

/** The paths anyone may fetch: the page shell only, never its data. */
export const UI_SHELL_PATHS = /^\/ui(\/assets\/[A-Za-z0-9_.-]+)?\/?(\?|$)/;

const TRACES = 50;
const TICK_MS = 1000;
const BATCH_RELIST_TICKS = 5;
const PEEKS_PER_TICK = 4;
/** Two minutes of samples for the chart. */
const HISTORY = 120;

const STATIC = new URL("../ui/static/", import.meta.url);
const ASSETS: Record<string, string> = { "app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8" };
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

interface Sample {
  at: number;
  loads: number;
  evictions: number;
  backlog: Record<string, number>;
}

interface Client {
  viewer: Principal;
  stream: SseStream;
  lastBatches: string;
  unsubscribe: () => void;
}

export function uiRoutes(app: FastifyInstance, context: ServerContext, options: { batches?: BatchService; keysEnabled: boolean }): void {
  const { orchestrator } = context;
  const files = new Map(["index.html", ...Object.keys(ASSETS)].map((name) => [name, readFileSync(new URL(name, STATIC), "utf8")] as const));
  // The page asks for a key before it calls anything when keys are checked, rather than after a 401.
  files.set("index.html", files.get("index.html")!.replace("{{API_KEYS}}", options.keysEnabled ? "required" : "none"));

  // Who asked: each request runs in an async context holding its owner, so a trace finished on its
  // behalf (however deep in the pipeline) is recorded as that owner's.
  const owners = new AsyncLocalStorage<string>();
  app.addHook("onRequest", (request, _reply, done) => owners.run(request.principal.owner, done));
  const feed = new DashboardFeed(orchestrator, TRACES, options.keysEnabled, () => owners.getStore());

  const history: Sample[] = [];
  const clients = new Set<Client>();
  let ticking = false;

  // A batch can fill and drain a backlog between two ticks: the chart plots each second's peak,
  // watched PEEKS_PER_TICK times a second.
  let peaks: Record<string, number> = {};
  const peek = () => {
    for (const [id, counters] of Object.entries(orchestrator.stats().experts)) peaks[id] = Math.max(peaks[id] ?? 0, counters.backlog);
  };
  const sample = (snapshot: Snapshot): Sample => {
    peek();
    const backlog = peaks;
    peaks = {};
    return { at: snapshot.at, loads: snapshot.loads, evictions: snapshot.evictions, backlog };
  };

  const sendBatches = async (client: Client) => {
    if (!options.batches) return;
    const list = await options.batches.list(undefined, 20, client.viewer);
    const text = JSON.stringify(list.data);
    if (text === client.lastBatches) return;
    client.lastBatches = text;
    client.stream.send({ type: "batches", batches: list.data });
  };

  // Batch lists are read from disk, so only while a batch is running, when the running set changes,
  // and every BATCH_RELIST_TICKS otherwise (a batch that fails validation never runs).
  let ticks = 0;
  let running = "";
  let settling = 0;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      const snapshot = feed.snapshot();
      const latest = sample(snapshot);
      history.push(latest);
      if (history.length > HISTORY) history.shift();
      const active = options.batches?.activeIds().join(",") ?? "";
      // A batch leaves the running set just before its final status is written: list twice more.
      if (active !== running) settling = 2;
      running = active;
      const relist = active !== "" || settling-- > 0 || ++ticks % BATCH_RELIST_TICKS === 0;
      for (const client of clients) {
        client.stream.send({ type: "stats", ...snapshot, peakBacklog: latest.backlog });
        if (relist) await sendBatches(client).catch(() => undefined);
      }
    } finally {
      ticking = false;
    }
  };
  const timer = setInterval(() => void tick(), TICK_MS);
  timer.unref();
  const peeker = setInterval(peek, TICK_MS / PEEKS_PER_TICK);
  peeker.unref();

  const endAll = () => {
    for (const client of clients) {
      client.unsubscribe();
      client.stream.done();
    }
    clients.clear();
  };
  app.addHook("preClose", (done) => {
    clearInterval(timer);
    clearInterval(peeker);
    endAll();
    done();
  });
  app.addHook("onClose", (_instance, done) => {
    feed.close();
    done();
  });

  const page = (name: string, type: string) => async (_request: unknown, reply: FastifyReply) =>
    reply.headers({ ...SECURITY_HEADERS, "content-type": type }).send(files.get(name));

  app.get("/ui", { schema: { hide: true } }, page("index.html", "text/html; charset=utf-8"));
  app.get("/ui/", { schema: { hide: true } }, page("index.html", "text/html; charset=utf-8"));
  app.get<{ Params: { name: string } }>("/ui/assets/:name", { schema: { hide: true } }, async (request, reply) => {
    const type = ASSETS[request.params.name];
    if (!type) throw new ConclaveError("ROUTE_NOT_FOUND", `no dashboard asset ${request.params.name}`);
    return page(request.params.name, type)(request, reply);
  });

  app.get("/ui/events", { schema: { summary: "The dashboard's live feed (server-sent events)", tags: ["operations"] } }, async (request, reply) => {
    if (context.isClosing()) throw new ConclaveError("CLOSED", "the server is shutting down");
    reply.hijack();
    context.markStreamed(request);
    const stream = new SseStream(reply.raw);
    stream.open(200, {});
    const viewer = request.principal;
    const client: Client = { viewer, stream, lastBatches: "", unsubscribe: () => undefined };
    client.unsubscribe = feed.subscribe(viewer, (trace) => stream.send({ type: "trace", trace }));
    clients.add(client);
    reply.raw.on("close", () => {
      client.unsubscribe();
      clients.delete(client);
    });
    const { config } = orchestrator;
    stream.send({
      type: "hello",
      ensemble: config.server.ensemble,
      strategy: config.routing.strategy,
      aggregation: config.aggregation.method,
      aggregator: orchestrator.aggregator ?? null,
      synthetic: orchestrator.synthetic,
      batchesEnabled: options.batches !== undefined,
      admin: viewer.admin,
      history,
      traces: feed.traces(viewer),
    });
    stream.send({ type: "stats", ...feed.snapshot() });
    await sendBatches(client).catch(() => undefined);
    return reply;
  });
}
