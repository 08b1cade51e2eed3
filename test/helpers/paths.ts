/**
 * Where the package lies, resolved from this file: tests that start child processes (the CLI, a
 * worker) run them from here, so a checkout works in any folder.
 */
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
