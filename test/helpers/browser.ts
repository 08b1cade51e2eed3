/**
 * A headless Chromium for the browser tests, driven by playwright-core (which never downloads a
 * browser): the binary is `CHROMIUM` when set, else `chromium` (Debian) or `chromium-browser` on PATH.
 * Where there is none, `chromiumBinary()` says in one line what to install and the browser tests are
 * skipped; under CI=true a missing browser is an error, as for redis-server.
 *
 * Each launch gets a fresh profile folder (removed by `close()`) and the flags that keep Chromium
 * from opening background connections (updates, sync, safe browsing): on a machine without network
 * those are refused many at a time and slow everything down.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { findBinary, requiredBinary, type BinarySpec } from "./binaries.js";

const CHROMIUM: BinarySpec = {
  envVar: "CHROMIUM",
  names: ["chromium", "chromium-browser"],
  tier: "the browser tests",
  installHint:
    "chromium not found (set CHROMIUM or put it on PATH: `apt-get install chromium` on Debian, `chromium-browser` on Ubuntu, or point CHROMIUM at any Chrome/Chromium binary)",
};

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** CHROMIUM, then chromium or chromium-browser on PATH; undefined when there is none. */
export const findChromium = (env: NodeJS.ProcessEnv = process.env): string | undefined => findBinary(CHROMIUM, env);

/** The binary for this run's browser tests, or undefined to skip them (after one line saying what to install). */
export const chromiumBinary = (env: NodeJS.ProcessEnv = process.env): string | undefined => requiredBinary(CHROMIUM, env);

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh headless browser context on its own profile folder. `close()` is idempotent. */
export async function launchBrowser(executablePath: string): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), "conclave-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  let closing: Promise<void> | undefined;
  return {
    context,
    close() {
      closing ??= context
        .close()
        .catch(() => undefined)
        .then(() => rm(profile, { recursive: true, force: true }));
      return closing;
    },
  };
}
