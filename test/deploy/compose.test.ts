/**
 * docker-compose.yml, checked without a Docker engine: it must be valid against the Compose
 * Specification JSON schema (vendored in deploy/compose-spec.json, see deploy/README.md), and it must
 * keep the properties the deployment relies on (durable Redis that never evicts BullMQ keys, services
 * that wait for a healthy Redis, shared model and batch volumes; the fleet layout: API replicas
 * behind one published port, one worker per GPU).
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it, expect } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../orchestrator/config/load.js";
// The schema declares draft 2019-09, so the matching Ajv class (ajv 8, via fastify).
import Ajv2019Module from "ajv/dist/2019.js";
import type { ErrorObject, ValidateFunction } from "ajv";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (path: string) => readFileSync(resolve(root, path), "utf8");

// ajv is CommonJS: depending on the loader the default import is the class or its module object.
const Ajv2019 = ((Ajv2019Module as unknown as { default?: unknown }).default ?? Ajv2019Module) as typeof Ajv2019Module.default;

type Json = Record<string, unknown>;

const schema = JSON.parse(read("deploy/compose-spec.json")) as Json;

function compileSchema(): ValidateFunction {
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  // The spec still labels its subschemas with draft-04 `id` members ("#/definitions/service"), which
  // Ajv 8 refuses; they are labels only ($ref uses JSON pointers from the root), so drop the keyword.
  ajv.removeKeyword("id");
  // The one custom format in the spec: `expose` entries such as "3000", "3000-3005" or "53/udp".
  ajv.addFormat("expose", /^\d+(-\d+)?(\/[a-z]+)?$/);
  return ajv.compile(schema);
}

const validate = compileSchema();

function errorsOf(doc: unknown): ErrorObject[] {
  return validate(doc) ? [] : [...(validate.errors ?? [])];
}

function describeErrors(errors: ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""} ${JSON.stringify(e.params)}`).join("\n");
}

const composeText = read("docker-compose.yml");
// Compose resolves YAML merge keys (`<<: *worker`); YAML 1.2 parsers do only when asked.
const loadCompose = () => parseYaml(composeText, { merge: true }) as Json;
const compose = loadCompose();
const services = compose["services"] as Record<string, Json>;
const service = (name: string) => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** A command or healthcheck test, string or array, as one string. */
const commandLine = (value: unknown) => (Array.isArray(value) ? value.join(" ") : String(value));

/** `environment` as a map, whether the file uses the map or the KEY=value list form. */
function environmentOf(s: Json): Record<string, string> {
  const env = s["environment"];
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry: string) => [entry.split("=")[0], entry.slice(entry.indexOf("=") + 1)]));
  }
  return Object.fromEntries(Object.entries((env ?? {}) as Json).map(([k, v]) => [k, String(v)]));
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** Short (`src:/target[:ro]`, source may hold `${VAR:-default}`) and long volume syntax. */
function mountsOf(s: Json): Mount[] {
  return ((s["volumes"] ?? []) as unknown[]).map((v) => {
    if (typeof v === "string") {
      const m = /^(.*):(\/[^:]*)(?::(ro|rw))?$/.exec(v);
      if (!m) throw new Error(`unparsed volume ${v}`);
      return { source: m[1]!, target: m[2]!, readOnly: m[3] === "ro" };
    }
    const long = v as Json;
    return { source: String(long["source"]), target: String(long["target"]), readOnly: long["read_only"] === true };
  });
}

const mountAt = (s: Json, target: string) => mountsOf(s).find((m) => m.target === target);

/** The default of a `${VAR:-default}` interpolation, or the string itself. */
const interpolationDefault = (value: string) => /^\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}$/.exec(value)?.[1] ?? value;

describe("deploy/compose-spec.json", () => {
  it("is the Compose Specification schema (draft 2019-09) and compiles", () => {
    expect(schema["title"]).toBe("Compose Specification");
    expect(String(schema["$schema"])).toContain("2019-09");
    expect(typeof validate).toBe("function");
  });
});

describe("docker-compose.yml against the Compose Specification", () => {
  it("is valid", () => {
    const errors = errorsOf(compose);
    if (errors.length > 0) console.error(`docker-compose.yml schema errors:\n${describeErrors(errors)}`);
    expect(describeErrors(errors)).toBe("");
  });

  it("rejects a copy whose redis ports is a string instead of a list", () => {
    const broken = loadCompose();
    ((broken["services"] as Record<string, Json>)["redis"] as Json)["ports"] = "6379";
    const errors = errorsOf(broken);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => e.instancePath === "/services/redis/ports" && e.keyword === "type")).toBe(true);
  });

  it("rejects a copy with an unknown top-level key", () => {
    const broken = { ...loadCompose(), servcies: {} };
    const errors = errorsOf(broken);
    expect(errors.some((e) => e.keyword === "additionalProperties" && (e.params as Json)["additionalProperty"] === "servcies")).toBe(true);
  });

  it("rejects a copy with an unknown depends_on condition (refs into the definitions are followed)", () => {
    const broken = loadCompose();
    const api = (broken["services"] as Record<string, Json>)["api"] as Json;
    api["depends_on"] = { redis: { condition: "service_ready" } };
    const errors = errorsOf(broken);
    expect(errors.some((e) => e.instancePath === "/services/api/depends_on/redis/condition" && e.keyword === "enum")).toBe(true);
  });

  it("rejects a copy whose GPU reservation lacks capabilities", () => {
    const broken = loadCompose();
    const worker = (broken["services"] as Record<string, Json>)["worker"] as Json;
    worker["deploy"] = { resources: { reservations: { devices: [{ driver: "nvidia", count: "all" }] } } };
    expect(errorsOf(broken).some((e) => e.keyword === "required" && (e.params as Json)["missingProperty"] === "capabilities")).toBe(true);
  });
});

const WORKERS = ["worker", "worker-gpu1"];

/** The GPU reservation of a service: its nvidia device request. */
function gpuOf(s: Json): Json | undefined {
  const devices = ((((s["deploy"] as Json | undefined)?.["resources"] as Json | undefined)?.["reservations"] as Json | undefined)?.["devices"] ?? []) as Json[];
  return devices.find((d) => d["driver"] === "nvidia");
}

describe("docker-compose.yml deployment properties", () => {
  it("defines exactly redis, the api replicas, their proxy and one worker per GPU", () => {
    expect(Object.keys(services).sort()).toEqual(["api", "proxy", "redis", ...WORKERS].sort());
  });

  it("runs Redis 7 with append-only persistence, noeviction, a PING healthcheck and a data volume", () => {
    const redis = service("redis");
    expect(String(redis["image"])).toMatch(/^redis:7(\.\d+)?(-alpine)?$/);
    const command = commandLine(redis["command"]);
    expect(command).toMatch(/--appendonly\s+yes/);
    expect(command).toMatch(/--maxmemory-policy\s+noeviction/);
    expect(commandLine((redis["healthcheck"] as Json)["test"])).toContain("redis-cli ping");
    expect(redis["restart"]).toBe("unless-stopped");
    const data = mountAt(redis, "/data");
    expect(data).toBeDefined();
    expect(Object.keys(compose["volumes"] as Json)).toContain(data!.source);
    // Reachable only on the project network.
    expect(redis["ports"]).toBeUndefined();
  });

  it("runs several api replicas, unpublished, with a /healthz healthcheck that needs no curl", () => {
    const api = service("api");
    expect(commandLine(api["command"])).toBe("node bin/conclave.js serve");
    expect(Number((api["deploy"] as Json)["replicas"])).toBeGreaterThanOrEqual(2);
    // Replicas cannot share a published host port: only the proxy publishes one.
    expect(api["ports"]).toBeUndefined();
    expect((api["expose"] as unknown[]).map(String)).toContain("8080");
    const test = commandLine((api["healthcheck"] as Json)["test"]);
    expect(test).toMatch(/^CMD node -e /);
    expect(test).toContain("fetch(");
    expect(test).toContain(":8080/healthz");
  });

  it("publishes one port through an nginx proxy that spreads requests over the api replicas and streams unbuffered", () => {
    const proxy = service("proxy");
    expect(String(proxy["image"])).toMatch(/^nginx:/);
    expect((proxy["ports"] as unknown[]).map(String).some((p) => p.endsWith(":8080"))).toBe(true);
    expect((proxy["depends_on"] as Json)["api"]).toMatchObject({ condition: "service_healthy" });
    const conf = mountAt(proxy, "/etc/nginx/nginx.conf");
    expect(conf?.readOnly).toBe(true);
    const nginx = read(conf!.source);
    expect(nginx).toMatch(/upstream\s+\w+\s*\{[^}]*server\s+api:8080;/);
    expect(nginx).toMatch(/listen\s+8080;/);
    // SSE: a buffered proxy would hold streamed tokens back.
    expect(nginx).toMatch(/proxy_buffering\s+off;/);
  });

  it("runs one worker per GPU: each reserves its own NVIDIA device and sees it as CUDA device 0", () => {
    const ids = WORKERS.map((name) => {
      const worker = service(name);
      expect(commandLine(worker["command"]), name).toBe("node bin/conclave.js worker");
      // Replicas of a service are named by Compose; a fixed container name would forbid scaling.
      expect(worker["container_name"], name).toBeUndefined();
      const gpu = gpuOf(worker);
      expect(gpu, name).toBeDefined();
      expect(gpu!["capabilities"], name).toContain("gpu");
      expect(gpu!["device_ids"], name).toHaveLength(1);
      expect(environmentOf(worker)["CUDA_VISIBLE_DEVICES"], name).toBe("0");
      return String((gpu!["device_ids"] as unknown[])[0]);
    });
    expect(new Set(ids).size).toBe(WORKERS.length);
  });

  it("starts api and workers only once Redis is healthy, and points them at it and at the config", () => {
    for (const name of ["api", ...WORKERS]) {
      const s = service(name);
      expect((s["depends_on"] as Json)["redis"], name).toMatchObject({ condition: "service_healthy" });
      const env = environmentOf(s);
      expect(env["REDIS_URL"], name).toBe("redis://redis:6379");
      expect(env["CONCLAVE_CONFIG"], name).toBe("/config/conclave.yaml");
      const config = mountAt(s, "/config/conclave.yaml");
      expect(config?.readOnly, name).toBe(true);
    }
  });

  it("shares the models and batch-file volumes between api and workers (models read-only in the api)", () => {
    const declared = Object.keys(compose["volumes"] as Json);
    const api = service("api");
    for (const name of WORKERS) {
      const worker = service(name);
      for (const target of ["/models", "/data/batches"]) {
        const a = mountAt(api, target);
        const w = mountAt(worker, target);
        expect(a, `api ${target}`).toBeDefined();
        expect(w, `${name} ${target}`).toBeDefined();
        expect(a!.source).toBe(w!.source);
        expect(declared).toContain(a!.source);
      }
      expect(mountAt(worker, "/data/batches")!.readOnly).toBe(false);
    }
    expect(mountAt(api, "/models")!.readOnly).toBe(true);
  });

  it("runs api and workers from the same image built from the repository's Dockerfile", () => {
    const api = service("api");
    const workers = WORKERS.map(service);
    for (const worker of workers) expect(api["image"]).toBe(worker["image"]);
    for (const s of [api, ...workers]) {
      const build = s["build"] as Json;
      expect(build["context"]).toBe(".");
      expect(build["dockerfile"]).toBe("Dockerfile");
    }
  });

  it("mounts a config whose paths match the volumes, whose port matches the proxied one, and that runs the fleet", () => {
    const source = interpolationDefault(mountAt(service("api"), "/config/conclave.yaml")!.source);
    const config = parseYaml(read(source)) as { models?: { dir?: string }; server?: { port?: number; execution?: string } };
    expect(config.models?.dir).toBe("/models");
    expect(config.server?.port ?? 8080).toBe(8080);
    expect(config.server?.execution).toBe("fleet");
  });

  it("keeps batch files in the shared batches volume: the config's paths, resolved as the containers resolve them", () => {
    // Relative paths in a config resolve from the config file's folder, /config in the containers
    // (a read-only bind mount of one file), so the default ./data/batches would land outside the
    // `batches` volume that api and workers share.
    const source = interpolationDefault(mountAt(service("api"), "/config/conclave.yaml")!.source);
    const config = parseConfig(parseYaml(read(source)), "/config", source);
    expect(mountAt(service("api"), "/data/batches")).toBeDefined();
    expect(config.batches.dir).toBe("/data/batches");
    expect(config.models.dir).toBe("/models");
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const dependencies = (JSON.parse(read("package.json")) as { dependencies?: Record<string, string> }).dependencies ?? {};

  it("has no ENTRYPOINT, so compose's full `node bin/conclave.js ...` commands run as written", () => {
    expect(dockerfile).not.toMatch(/^\s*ENTRYPOINT\b/m);
    expect(dockerfile).toMatch(/^CMD \["node", "bin\/conclave\.js", "serve"\]/m);
  });

  it("installs production dependencies only, which include tsx (the CLI runs TypeScript directly)", () => {
    expect(dockerfile).toMatch(/npm install --omit=dev/);
    expect(Object.keys(dependencies)).toContain("tsx");
    for (const dir of ["bin", "orchestrator", "experts", "skills", "queues"]) {
      expect(dockerfile).toMatch(new RegExp(`^COPY (--chown=\\S+ )?${dir} \\./${dir}$`, "m"));
    }
  });
});
