/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each prints its figures and its baseline
 * side by side from the same run.
 */
import { benchAbstain } from "./abstain.js";
import { benchBatchGrouping } from "./batch-grouping.js";
import { benchBatchQueues } from "./batch-queues.js";
import { benchHttpOverhead } from "./http-overhead.js";
import { benchOnline } from "./online.js";
import { benchOverhead } from "./overhead.js";
import { benchPrefix } from "./prefix.js";
import { benchResidency } from "./residency.js";
import { benchSchedule } from "./schedule.js";
import { benchSimulate } from "./simulate.js";
import { benchStructured } from "./structured.js";
import { benchTagger } from "./tagger.js";
import { benchZoo } from "./zoo.js";
import { benchZooHidden } from "./zoo-hidden.js";
import { benchRouterbench } from "./routerbench.js";

const benches: Record<string, () => Promise<void>> = {
  abstain: benchAbstain,
  "batch-grouping": benchBatchGrouping,
  "batch-queues": benchBatchQueues,
  "http-overhead": benchHttpOverhead,
  online: benchOnline,
  overhead: benchOverhead,
  prefix: benchPrefix,
  residency: benchResidency,
  schedule: benchSchedule,
  simulate: benchSimulate,
  structured: benchStructured,
  tagger: benchTagger,
  routerbench: benchRouterbench,
  zoo: benchZoo,
  "zoo-hidden": benchZooHidden,
};

const name = process.argv[2] ?? "";
const bench = benches[name];
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join("|")}> [options]`);
  process.exit(2);
}
await bench();
