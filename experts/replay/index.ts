export { ReplayExpert, replayPrompt, type ReplayExpertOptions } from "./replay-expert.js";
export { loadRecordings, normalisePrompt, parseRecordings, promptHash, Recordings, type RecordedAnswer, type RecordingLine } from "./recordings.js";
export { formatRecordings, importJsonl, importRecordings, importRouterBenchCsv, type ImportOptions } from "./import.js";
