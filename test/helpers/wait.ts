/**
 * Waiting in tests on states and events, never on a wall-clock deadline of its own: on a loaded
 * 2-core machine work takes as long as it takes, and the test's timeout bounds every wait.
 */

export interface WaitOptions {
  everyMs?: number;
  /** Checked on every poll: a message ends the wait with that error (a child that died, say). */
  failIf?: () => string | undefined;
}

/**
 * Polls `condition` until it holds. No wall-clock deadline of its own: on a loaded machine work takes
 * as long as it takes, and the test's timeout bounds the wait. Every 15 s it says what it still waits
 * for, so a test that times out names the condition it was stuck on.
 */
export async function waitFor(condition: () => Promise<boolean> | boolean, what: string, options: WaitOptions = {}): Promise<void> {
  const started = Date.now();
  let nextReport = started + 15_000;
  while (!(await condition())) {
    const failure = options.failIf?.();
    if (failure) throw new Error(`${failure} (while waiting for ${what})`);
    if (Date.now() >= nextReport) {
      console.log(`still waiting for ${what} after ${Math.round((Date.now() - started) / 1000)} s`);
      nextReport += 15_000;
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 100));
  }
}

/** A test's timeout for queue work on a shared 2-core machine: generous, since waits poll states. */
export const QUEUE_TEST_TIMEOUT_MS = 300_000;
