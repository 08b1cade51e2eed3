import { defineConfig } from "vitest/config";

// Tiers by suffix: *.test.ts unit, *.int.test.ts real Redis/HTTP, *.model.test.ts real GGUF models.
// Model tests share 2 cores, so files run one at a time to keep timings sane and memory bounded.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: "forks",
  },
});
