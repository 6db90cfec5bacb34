import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: on a 2-core CI machine, one file at a
    // time (427 s of tests). Two at once there: 300 s, the same 1,125 tests passing (the slowest
    // test at under half its timeout). At most four, since each file may start its own servers.
    maxWorkers: Math.min(4, availableParallelism()),
  },
});
