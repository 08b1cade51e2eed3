/**
 * Prometheus metrics of one server: request counts and latency by route, tokens, and the scheduler's
 * view of every expert (loads, evictions, residency, memory, backlog, sequences in use), read from
 * the orchestrator when scraped so they are never stale. One registry per server, so tests and
 * several servers in one process never share counters.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Orchestrator } from "../orchestrator.js";
import type { TokenUsage } from "../../kernel/contracts.js";
import type { BatchService } from "../batches/service.js";
import { SYSTEM } from "../principal.js";

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"route" | "method" | "status">;
  private readonly latency: Histogram<"route">;
  private readonly tokens: Counter<"kind">;

  constructor(orchestrator: Orchestrator, batches?: BatchService) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "conclave_http_requests_total", help: "HTTP requests by route, method and status", labelNames: ["route", "method", "status"], registers });
    this.latency = new Histogram({
      name: "conclave_http_request_duration_seconds",
      help: "HTTP request latency by route (streams: until the last byte)",
      labelNames: ["route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.tokens = new Counter({ name: "conclave_tokens_total", help: "Tokens processed for HTTP requests", labelNames: ["kind"], registers });

    const perExpert = (name: string, help: string, read: (e: ReturnType<Orchestrator["stats"]>["experts"][string]) => number, type: "counter" | "gauge") => {
      const collect = function (this: Counter<"expert"> | Gauge<"expert">) {
        this.reset();
        for (const [expert, stats] of Object.entries(orchestrator.stats().experts)) {
          if (type === "counter") (this as Counter<"expert">).inc({ expert }, read(stats));
          else (this as Gauge<"expert">).set({ expert }, read(stats));
        }
      };
      if (type === "counter") new Counter({ name, help, labelNames: ["expert"], registers, collect });
      else new Gauge({ name, help, labelNames: ["expert"], registers, collect });
    };
    perExpert("conclave_model_loads_total", "Model loads per expert", (e) => e.loads, "counter");
    perExpert("conclave_model_unloads_total", "Model unloads per expert", (e) => e.unloads, "counter");
    perExpert("conclave_model_evictions_total", "Unloads forced to make room for another model", (e) => e.evictions, "counter");
    perExpert("conclave_model_load_failures_total", "Failed model loads per expert", (e) => e.loadFailures, "counter");
    perExpert("conclave_model_loads_cancelled_total", "Batch model loads cancelled so a chat's model loads first", (e) => e.loadsCancelled, "counter");
    perExpert("conclave_expert_served_total", "Generations served per expert", (e) => e.served, "counter");
    perExpert("conclave_model_resident", "1 when the expert's model is loaded", (e) => (e.resident ? 1 : 0), "gauge");
    perExpert("conclave_expert_backlog", "Work items waiting for the expert", (e) => e.backlog, "gauge");
    perExpert("conclave_expert_in_flight", "Generations running on the expert (sequences in use)", (e) => e.inFlight, "gauge");
    perExpert("conclave_expert_slots", "Sequences the expert can run at once", (e) => e.slots, "gauge");

    new Counter({
      name: "conclave_expert_cost_usd_total",
      help: "US dollars spent per expert (declared prices, or recorded costs for replay experts)",
      labelNames: ["expert"],
      registers,
      collect() {
        this.reset();
        for (const [expert, usd] of Object.entries(orchestrator.spending.byExpert())) this.inc({ expert }, usd);
      },
    });
    new Gauge({
      name: "conclave_model_memory_bytes",
      help: "Estimated memory of each resident model",
      labelNames: ["expert", "kind"],
      registers,
      collect() {
        this.reset();
        const stats = orchestrator.stats().experts;
        for (const status of orchestrator.statuses.values()) {
          const resident = stats[status.id]?.resident ?? false;
          this.set({ expert: status.id, kind: "ram" }, resident ? (status.memory?.ramBytes ?? 0) : 0);
          this.set({ expert: status.id, kind: "vram" }, resident ? (status.memory?.vramBytes ?? 0) : 0);
        }
      },
    });
    if (batches) this.batchMetrics(batches);
  }

  /** Progress of the batches being worked on, and queue figures when batches run on BullMQ. */
  private batchMetrics(batches: BatchService): void {
    const registers = [this.registry];
    new Gauge({
      name: "conclave_batch_requests",
      help: "Requests of each running batch by state",
      labelNames: ["batch", "state"],
      registers,
      async collect() {
        this.reset();
        for (const id of batches.activeIds()) {
          const batch = await batches.get(id, SYSTEM).catch(() => undefined);
          if (!batch) continue;
          const c = batch.request_counts;
          this.set({ batch: id, state: "total" }, c.total);
          this.set({ batch: id, state: "completed" }, c.completed);
          this.set({ batch: id, state: "failed" }, c.failed);
        }
      },
    });
    const executor = batches.executor;
    if (executor.queueBacklog) {
      const backlog = executor.queueBacklog.bind(executor);
      new Gauge({
        name: "conclave_queue_backlog",
        help: "Jobs waiting in each expert's batch queue (BullMQ)",
        labelNames: ["expert"],
        registers,
        async collect() {
          this.reset();
          for (const [expert, waiting] of Object.entries(await backlog())) this.set({ expert }, waiting);
        },
      });
    }
    if (executor.workerSwitches) {
      const switches = executor.workerSwitches.bind(executor);
      new Counter({
        name: "conclave_worker_model_switches_total",
        help: "Times each batch worker switched to draining another expert's queue",
        labelNames: ["worker"],
        registers,
        async collect() {
          this.reset();
          for (const [worker, count] of Object.entries(await switches())) this.inc({ worker }, count);
        },
      });
    }
  }

  observe(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  countTokens(usage: TokenUsage): void {
    this.tokens.inc({ kind: "prompt" }, usage.promptTokens);
    this.tokens.inc({ kind: "completion" }, usage.completionTokens);
  }
}
