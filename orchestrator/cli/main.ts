/**
 * The `conclave` command. Each subcommand builds the orchestrator from the config (`--config` or
 * `CONCLAVE_CONFIG`; none = the embedded demo pool), does its job, closes it and returns an exit code:
 * 0 ok, 1 the job failed, 2 bad usage or config. Errors print as `error [CODE]: message`.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { loadConfig } from "../config/load.js";
import { ConclaveError, isConclaveError } from "../../kernel/errors.js";
import { Orchestrator } from "../orchestrator.js";
import { disposeRuntime } from "../../experts/llama/runtime.js";
import { runBatchCommand } from "./batch.js";
import { runProfileCommand } from "./profile.js";
import { cancelBatch, describeBatch, downloadResults, getBatch, remoteFrom, submitBatch } from "./batch-remote.js";
import { formatTrace } from "./format.js";
import { listModels, writeTestModelCommand } from "./models.js";
import { serve, untilSignal } from "./serve.js";
import { skillsEvalCommand, skillsFitCommand } from "./skills.js";
import { workerCommand } from "./worker.js";
import { fleetClientFor } from "./fleet.js";
import type { FleetClient } from "../../queues/fleet/client.js";
import { runEvalCommand } from "./eval.js";
import { replayImportCommand, replayValidationCommand } from "./eval-replay.js";
import { reserveStdoutForProtocol, runMcpStdio } from "../mcp/stdio.js";

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("expected a positive integer");
  return parsed;
}

function anyInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError("expected an integer");
  return parsed;
}

function list(value: string): string[] {
  const items = value.split(",").map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError("expected a comma-separated list");
  return items;
}

/** `frontDoor`: a door that, with server.execution fleet, sends its expert calls to the workers. */
async function withOrchestrator<T>(
  configPath: string | undefined,
  job: (orchestrator: Orchestrator, fleet: FleetClient | undefined) => Promise<T>,
  frontDoor = false,
): Promise<T> {
  const config = await loadConfig(configPath ?? process.env["CONCLAVE_CONFIG"]);
  const fleet = frontDoor ? fleetClientFor(config, process.env, err) : undefined;
  const orchestrator = await Orchestrator.create(config, { notice: (message) => err(`note: ${message}`), ...(fleet ? { expertCalls: fleet } : {}) }).catch(async (error: unknown) => {
    await fleet?.close();
    throw error;
  });
  try {
    return await job(orchestrator, fleet);
  } finally {
    await orchestrator.close();
    await fleet?.close();
    await disposeRuntime();
  }
}

export function buildProgram(): Command {
  const program = new Command("conclave")
    .description("Serve several LLMs as one model: skill-routed, expert-batched Mixture-of-Experts")
    .option("-c, --config <file>", "YAML config (default: $CONCLAVE_CONFIG, else the embedded demo pool)")
    .exitOverride();

  program
    .command("serve")
    .description("serve the OpenAI-compatible HTTP API (port: --port, else $PORT, else server.port)")
    .option("-p, --port <n>", "port to listen on", (v) => Number(v))
    .option("--host <host>", "address to bind")
    .action(async (options: { port?: number; host?: string }) => {
      await withOrchestrator(
        program.opts()["config"],
        (orchestrator, fleet) =>
          serve(orchestrator, {
            ...(options.port === undefined ? {} : { port: options.port }),
            ...(options.host === undefined ? {} : { host: options.host }),
            ...(fleet ? { fleet } : {}),
            env: process.env,
            print: out,
            stopped: untilSignal(),
          }),
        true,
      );
    });

  program
    .command("worker")
    .description("drain the batch queues on Redis (REDIS_URL) with this machine's models, one expert at a time (fleet mode: online jobs first)")
    .option("--id <id>", "the id this worker publishes in claims and the fleet registry (default host:pid:random)")
    .action(async (options: { id?: string }) => {
      await withOrchestrator(program.opts()["config"], async (orchestrator) => {
        await workerCommand(orchestrator, { env: process.env, print: out, stopped: untilSignal(), ...(options.id ? { workerId: options.id } : {}) });
      });
    });

  program
    .command("mcp")
    .description("serve conclave's tools over MCP on stdio (for desktop assistants and IDE agents)")
    .action(async () => {
      // stdout is the protocol channel: notices already go to stderr, and so must any console output.
      reserveStdoutForProtocol();
      await withOrchestrator(program.opts()["config"], (orchestrator) => runMcpStdio(orchestrator, { stopped: untilSignal() }));
      err("note: MCP session ended; conclave closed");
    });

  program
    .command("run")
    .description("answer one question and show how it was routed")
    .argument("<question>", "the user message")
    .option("--system <text>", "a system message")
    .option("--max-tokens <n>", "tokens per expert answer", integer)
    .option("--seed <n>", "sampling seed", integer)
    .option("--model <expert>", "ask this expert only (bypass routing)")
    .option("--json", "print the outcome as JSON")
    .action(async (question: string, options: { system?: string; maxTokens?: number; seed?: number; model?: string; json?: boolean }) => {
      await withOrchestrator(program.opts()["config"], async (orchestrator) => {
        const messages = [...(options.system ? [{ role: "system" as const, content: options.system }] : []), { role: "user" as const, content: question }];
        const params = { ...(options.maxTokens ? { maxTokens: options.maxTokens } : {}), ...(options.seed ? { seed: options.seed } : {}) };
        const outcome = await orchestrator.answer({ id: "cli", messages, params }, options.model ? { expertId: options.model } : {});
        if (options.json) return out(JSON.stringify(outcome, null, 2));
        out(outcome.text);
        out("");
        out(formatTrace(outcome.trace));
      });
    });

  const batch = program.command("batch").description("batches: run a JSONL file here, or submit it to a running server's Batch API");
  batch
    .command("run", { isDefault: true })
    .description("answer a JSONL file of {custom_id, messages} lines in this process, grouped by expert (the default: `conclave batch in.jsonl -o out.jsonl`)")
    .argument("<input>", "input JSONL")
    .requiredOption("-o, --output <file>", "output JSONL (one line per input line)")
    .option("--summary <file>", "also write the summary as JSON")
    .option("--per-instance-loading", "baseline: load the models for each instance and unload them after (no grouping)")
    .option("--no-progress", "no progress bar")
    .option("--expected <file>", "JSONL of {custom_id, expected}: print each question, its experts, its answer against the expected one, and the score")
    .action(async (input: string, options: { output: string; summary?: string; perInstanceLoading?: boolean; progress: boolean; expected?: string }) => {
      await withOrchestrator(program.opts()["config"], (orchestrator) =>
        runBatchCommand(
          orchestrator,
          {
            input,
            output: options.output,
            perInstanceLoading: options.perInstanceLoading ?? false,
            progress: options.progress,
            model: orchestrator.config.server.ensemble,
            ...(options.summary ? { summary: options.summary } : {}),
            ...(options.expected ? { expected: options.expected } : {}),
          },
          out,
        ),
      );
    });
  const serverOption = "--server <url>";
  const serverHelp = "conclave server (default: $CONCLAVE_URL, else http://localhost:8080; key: $CONCLAVE_API_KEY)";
  batch
    .command("submit")
    .description("upload a JSONL file to a running server, create a batch and follow it to the end")
    .argument("<input>", "input JSONL (OpenAI batch lines or {custom_id, messages})")
    .option(serverOption, serverHelp)
    .option("-o, --output <file>", "write the output file here when done")
    .option("--errors <file>", "write the error file here when done")
    .option("--no-progress", "no progress bar")
    .action(async (input: string, options: { server?: string; output?: string; errors?: string; progress: boolean }) => {
      const done = await submitBatch(remoteFrom(options, process.env), input, { ...options }, out);
      if (done.status !== "completed") throw new ConclaveError("EXPERT_FAILED", `batch ${done.id} ended ${done.status}`);
    });
  batch
    .command("status")
    .argument("<batch-id>")
    .option(serverOption, serverHelp)
    .option("--json", "print the batch object")
    .action(async (id: string, options: { server?: string; json?: boolean }) => {
      const found = await getBatch(remoteFrom(options, process.env), id);
      out(options.json ? JSON.stringify(found, null, 2) : describeBatch(found));
    });
  batch
    .command("results")
    .argument("<batch-id>")
    .option(serverOption, serverHelp)
    .option("-o, --output <file>", "write the output file here (default: stdout)")
    .option("--errors <file>", "write the error file here")
    .action(async (id: string, options: { server?: string; output?: string; errors?: string }) => {
      const remote = remoteFrom(options, process.env);
      await downloadResults(remote, await getBatch(remote, id), options, out);
    });
  batch
    .command("cancel")
    .argument("<batch-id>")
    .option(serverOption, serverHelp)
    .action(async (id: string, options: { server?: string }) => {
      out(describeBatch(await cancelBatch(remoteFrom(options, process.env), id)));
    });

  program
    .command("profile")
    .description("measure every expert on a validation JSONL and choose the aggregator: writes a Symbolic-MoE profile (resumable)")
    .requiredOption("--validation <file>", "validation JSONL: {question | messages, answer, grade?, tolerance?, pattern?, skills?} per line")
    .requiredOption("--out <file>", "profile JSON to write (also <out>.report.json; work in progress in <out>.partial.jsonl)")
    .option("--experts <ids>", "experts to profile, comma-separated (default: every expert able to serve)", list)
    .option("--aggregators <ids>", "aggregator candidates, comma-separated (default: every expert able to serve)", list)
    .option("--sets <n>", "synthesis sets per question (default 2)", integer)
    .option("--k <n>", "answers per synthesis set (default: routing.k)", integer)
    .option("--seed <n>", "seed for the synthesis sets and every generation (default 0)", anyInteger)
    .option("--checkpoint <file>", "where finished work is recorded (default: <out>.partial.jsonl)")
    .option("--no-progress", "no progress bars")
    .action(async (options: { validation: string; out: string; experts?: string[]; aggregators?: string[]; sets?: number; k?: number; seed?: number; checkpoint?: string; progress: boolean }) => {
      await withOrchestrator(program.opts()["config"], (orchestrator) => runProfileCommand(orchestrator, options, out, err));
    });

  program
    .command("eval")
    .description("run routing systems through the pipeline on a labelled test set (RouterBench-style): accuracy, cost, calls, AIQ, Pareto chart")
    .requiredOption("--test <file>", 'test JSONL: {"id", "prompt", "answers": {model: {"text", "correct", "cost"}}} per line')
    .option("--strategies <names>", "systems, comma-separated: single, single:<expert>, random, oracle, symbolic-vote, symbolic-synthesis, category, adaptive, cascade, cost, cost:<λ> (default: all)", list)
    .option("--lambdas <values>", "λ values for the cost family (default 0 and 0.01..50 in 1-2-5 steps)", (v) => list(v).map(Number))
    .option("--profile <file>", "profile to route with (default: routing.profile), e.g. from conclave profile on the train split")
    .option("--train <file>", "graded train split (same form as --test): adds cascade-fitted, a cascade fitted on it under --budget")
    .option("--budget <share>", "cascade-fitted's mean cost at most this share of the strongest expert's (default 0.35)", Number)
    .option("--k <n>", "experts for symbolic top-k (default: routing.k)", integer)
    .option("--seed <n>", "seed of the random system (default: routing.seed)", anyInteger)
    .option("--out <file>", "write the report as JSON")
    .option("--svg <file>", "write the accuracy-cost chart as SVG")
    .option("--no-progress", "no progress bar")
    .action(async (options: { test: string; profile?: string; train?: string; budget?: number; strategies?: string[]; lambdas?: number[]; k?: number; seed?: number; out?: string; svg?: string; progress: boolean }) => {
      const config = program.opts()["config"] ?? process.env["CONCLAVE_CONFIG"];
      if (!config) throw new ConclaveError("CONFIG_INVALID", "eval needs --config (experts to evaluate, e.g. from conclave replay import --config-out)");
      await runEvalCommand({ ...options, config }, out);
      await disposeRuntime();
    });

  const replay = program.command("replay").description("replay experts: import recorded answers, derive a validation set");
  replay
    .command("import")
    .description("convert RouterBench CSV (<model>, <model>|model_response, <model>|total_cost) or JSONL recordings into the replay format")
    .argument("<inputs...>", "CSV or JSONL files")
    .requiredOption("--out <file>", "recordings JSONL to write")
    .option("--config-out <file>", "also write a config with one replay expert per recorded model")
    .option("--no-prompts", "keep only prompt hashes, not the prompts")
    .action(async (inputs: string[], options: { out: string; configOut?: string; prompts: boolean }) => {
      await replayImportCommand(inputs, options, out);
    });
  replay
    .command("validation")
    .description("write a graded recordings file's questions as a validation set for conclave profile (reference letter answers)")
    .argument("<input>", "recordings JSONL with prompts and correct grades")
    .requiredOption("--out <file>", "validation JSONL to write")
    .action(async (input: string, options: { out: string }) => {
      await replayValidationCommand(input, options, out);
    });

  program
    .command("models")
    .description("list the experts: backend, MoE shape, memory estimate, availability")
    .option("--json", "print as JSON")
    .action(async (options: { json?: boolean }) => {
      await withOrchestrator(program.opts()["config"], async (orchestrator) => out(listModels(orchestrator, options.json ?? false)));
    });

  const skills = program.command("skills").description("skill taggers: fit the trained tagger from labelled JSONL, score one on another file");
  skills
    .command("fit")
    .description('fit the trained tagger from lines {"text", "label"} or {"text", "skills": [...]}')
    .requiredOption("--examples <jsonl>", "labelled examples")
    .requiredOption("--out <json>", "where to write the tagger")
    .option("--catalog <yaml>", "skill catalog: classify maps each skill label to its category")
    .action(async (options: { examples: string; out: string; catalog?: string }) => {
      await skillsFitCommand(options, out);
    });
  skills
    .command("eval")
    .description('score a fitted tagger: accuracy, macro-F1, confusions; last line {"accuracy", "macro_f1"}')
    .requiredOption("--tagger <json>", "a tagger written by skills fit")
    .requiredOption("--examples <jsonl>", "labelled examples to score on")
    .action(async (options: { tagger: string; examples: string }) => {
      await skillsEvalCommand(options, out);
    });

  program
    .command("testmodel")
    .description("write a deterministic synthetic GGUF model (dense or sparse MoE) for tests and benchmarks")
    .argument("<path>", "output .gguf file")
    .option("--experts <n>", "MoE experts per layer (0 = dense)", (v) => Number(v), 4)
    .option("--experts-used <n>", "active experts per token", integer, 2)
    .option("--architecture <arch>", "llama or qwen3moe", "llama")
    .option("--quant <type>", "F32, F16, Q8_0 or Q4_0", "Q8_0")
    .option("--size <bytes>", "approximate file size, e.g. 300MB (more experts first, then wider ones)")
    .option("--seed <n>", "weights seed", (v) => Number(v), 1)
    .action(async (path: string, options: { experts: number; expertsUsed: number; architecture: string; quant: string; size?: string; seed: number }) => {
      out(await writeTestModelCommand(path, options));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (isConclaveError(error)) {
      err(`error [${error.code}]: ${error.message}`);
      return error.code.startsWith("CONFIG") ? 2 : 1;
    }
    err(`error: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
