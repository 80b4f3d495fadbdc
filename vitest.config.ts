import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // The PGlite templates every test database is loaded from, built once per run.
    globalSetup: ['packages/db/src/test-templates.ts'],
    pool: 'forks',
    // Vitest's default, one worker fewer than cores, runs every file one after
    // another on two cores; the main process only collects results, and files
    // spend part of their time waiting on PostgreSQL, sockets and child processes.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
