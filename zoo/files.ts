/** Small file checks the zoo's build and trainer share. */
import { readFile, stat } from "node:fs/promises";

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The file's JSON, or undefined when it is missing or unreadable (a record not written yet). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  return readFile(path, "utf8").then(
    (text) => JSON.parse(text) as T,
    () => undefined,
  );
}
