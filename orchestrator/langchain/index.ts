/**
 * conclave/langchain: conclave for LangChain.js and LangGraph. ChatConclave is the chat model (in
 * process over an Orchestrator, or remote over a conclave server's HTTP API); askConclaveTool lets a
 * tool-calling agent consult the ensemble; toConclaveMessages is the message mapping both use.
 */
export { ChatConclave, type ChatConclaveCallOptions, type ChatConclaveFields, type ConclaveSampling, type FromConfigOptions } from "./chat-conclave.js";
export { askConclaveTool, askConclaveSchema, consultationNote, type AskConclaveToolOptions } from "./ask-tool.js";
export { toConclaveMessages } from "./messages.js";
