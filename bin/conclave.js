#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between a checkout and a
// working `conclave` command.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../orchestrator/cli/main.ts");
process.exitCode = await main(process.argv);
