import { describe, expect, it } from "vitest";
import { SlotPool } from "../../../experts/llama/slot-pool.js";
import { answeredKey, commonPrefixLength, conversationKey } from "../../../experts/llama/prefix-reuse.js";

describe("SlotPool with a score (prefix reuse)", () => {
  it("takes the free slot that scores highest", async () => {
    const pool = new SlotPool(["a", "b", "c"]);
    const scores: Record<string, number> = { a: 1, b: 5, c: 2 };
    expect(await pool.acquire(undefined, (s) => scores[s]!)).toBe("b");
    expect(await pool.acquire(undefined, (s) => scores[s]!)).toBe("c");
  });

  it("on a tie takes the slot released longest ago, never-used slots first", async () => {
    const pool = new SlotPool(["a", "b", "c"]);
    const [x, y, z] = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    pool.release(y); // released first: oldest
    pool.release(x);
    pool.release(z);
    expect(await pool.acquire(undefined, () => 0)).toBe(y);
    expect(await pool.acquire(undefined, () => 0)).toBe(x);
  });

  it("a waiter takes the next released slot whatever it scores, and drain still works", async () => {
    const pool = new SlotPool(["a"]);
    const a = await pool.acquire(undefined, () => 0);
    const waiting = pool.acquire(undefined, () => -1);
    pool.release(a);
    expect(await waiting).toBe("a");
    const drained = pool.drain();
    pool.release("a");
    await drained;
    expect(pool.busy).toBe(0);
  });
});

describe("conversation keys", () => {
  it("a chat's next turn extends the key of the answered turn before", () => {
    const turn1 = [{ role: "user" as const, content: "hi" }];
    const held = answeredKey(turn1, "hello");
    const turn2 = [...turn1, { role: "assistant" as const, content: "hello" }, { role: "user" as const, content: "more" }];
    expect(conversationKey(turn2).startsWith(held)).toBe(true);
    expect(commonPrefixLength(held, conversationKey(turn2))).toBe(held.length);
    // A message that only extends another's text does not match past it.
    expect(commonPrefixLength(conversationKey([{ role: "user", content: "ab" }]), conversationKey([{ role: "user", content: "abc" }]))).toBeLessThan(conversationKey([{ role: "user", content: "ab" }]).length);
  });
});
