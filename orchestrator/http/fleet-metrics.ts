/**
 * Fleet mode's view in a front door's /metrics: what every worker's registry entry says (alive,
 * models resident, sequences in use, loads and generations per expert), read from Redis when
 * scraped, so any replica shows the whole fleet. The front door's own per-expert metrics stay
 * (they are empty there: it loads no model).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { Redis } from "ioredis";
import { readRegistry, type RegistryView } from "../../queues/fleet/registry.js";

export function registerFleetMetrics(registry: Registry, redis: Redis, prefix: string, staleMs: number): void {
  const registers = [registry];
  const read = () => readRegistry(redis, prefix, staleMs).then((snapshot) => snapshot.workers);
  new Gauge({
    name: "conclave_fleet_worker_alive",
    help: "1 while the worker's heartbeat is current, 0 once it went silent (until it is forgotten)",
    labelNames: ["worker"],
    registers,
    async collect() {
      this.reset();
      for (const worker of await read()) this.set({ worker: worker.id }, worker.alive ? 1 : 0);
    },
  });
  const perWorkerExpert = (name: string, help: string, values: (worker: RegistryView) => Record<string, number>, type: "gauge" | "counter") => {
    const collect = async function (this: Gauge<"worker" | "expert"> | Counter<"worker" | "expert">) {
      this.reset();
      for (const worker of await read()) {
        for (const [expert, value] of Object.entries(values(worker))) {
          if (type === "gauge") (this as Gauge<"worker" | "expert">).set({ worker: worker.id, expert }, value);
          else (this as Counter<"worker" | "expert">).inc({ worker: worker.id, expert }, value);
        }
      }
    };
    if (type === "gauge") new Gauge({ name, help, labelNames: ["worker", "expert"], registers, collect });
    else new Counter({ name, help, labelNames: ["worker", "expert"], registers, collect });
  };
  const ones = (ids: readonly string[]) => Object.fromEntries(ids.map((id) => [id, 1]));
  perWorkerExpert("conclave_fleet_model_resident", "1 when the worker holds the expert's model", (w) => ones(w.resident), "gauge");
  perWorkerExpert("conclave_fleet_model_loading", "1 while the worker loads the expert's model", (w) => ones(w.loading), "gauge");
  perWorkerExpert("conclave_fleet_expert_in_flight", "Generations running or queued on the worker's scheduler", (w) => w.inFlight, "gauge");
  perWorkerExpert("conclave_fleet_model_loads_total", "Model loads on the worker since it started", (w) => w.loads, "counter");
  perWorkerExpert("conclave_fleet_expert_served_total", "Generations the worker served since it started", (w) => w.served, "counter");
}
