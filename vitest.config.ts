import { defineConfig } from "vitest/config";

// One run for every test: unit tests beside the code and the cross-service tests in test/.
// The global setup finds or starts NATS and PostgreSQL once and hands their URLs to every
// test through the environment (see test/support/global-setup.ts).
export default defineConfig({
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
