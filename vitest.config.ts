import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first (from `npx vitest run
 * --reporter=json` on two cores, both engines): started first, so that the
 * workers finish together. Without vitest's cache of durations (a clean
 * clone, as CI runs) the files would start in the include order below, which
 * puts the end-to-end tests last and leaves one worker running them alone.
 */
const SLOW_FIRST = [
  'test/e2e/readme-plants-communities.test.ts',
  'test/e2e/readme-alentis-monitoring.test.ts',
  'packages/core/test/sync-simulation/schedules-51-100.test.ts',
  'packages/core/test/sync-simulation/schedules-1-50.test.ts',
  'packages/core/src/sync/client-conflicts.test.ts',
  'packages/core/src/sync/client.test.ts',
  'apps/server/src/rest/alentis/documents.test.ts',
  'test/e2e/desktop-sync.test.ts',
  'apps/server/src/cli/community.test.ts',
  'test/integration/desktop-sync.test.ts',
  'test/e2e/desktop-app.test.ts',
  'test/e2e/desktop-editing.test.ts',
  'test/e2e/desktop-communities.test.ts',
  'apps/server/src/rest/oauth.test.ts',
  'apps/server/src/cli/cli-lock.test.ts',
  'apps/server/src/cli/cli.test.ts',
  'packages/core/test/sync-simulation/simulation.test.ts',
  'test/e2e/desktop-documents.test.ts',
  'test/e2e/desktop-monitoring.test.ts',
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = SLOW_FIRST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return at < 0 ? SLOW_FIRST.length : at;
    };
    // The rest keep vitest's order: by cached duration, or else by size.
    const sorted = await super.sort(files);
    return sorted
      .map((file, i) => ({ file, i, rank: rank(file) }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map(({ file }) => file);
  }
}

const TESTS = ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'];

/**
 * Files that replace a module for their own tests (vi.mock): each runs in a
 * fresh module registry. The others share one per worker (isolate: false),
 * so that a worker loads core, Fastify, PGlite and their dependencies once,
 * not once a file: they change no global state another file could see (a
 * test that fakes timers or changes directory restores them).
 */
const MOCKING = [
  'packages/core/src/monitoring/readings/service.test.ts',
  'packages/core/src/plants/telemetry.test.ts',
  'apps/server/src/openapi/openapi.test.ts',
];

export default defineConfig({
  test: {
    // The PGlite templates every test database is loaded from, built once per run.
    globalSetup: ['packages/db/src/test-templates.ts'],
    pool: 'forks',
    // Vitest's default, one worker fewer than cores, runs every file one after
    // another on two cores; the main process only collects results, and files
    // spend part of their time waiting on PostgreSQL, sockets and child processes.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowFirst },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'mocking', include: MOCKING, isolate: true } },
      { extends: true, test: { name: 'shared', include: TESTS, exclude: [...configDefaults.exclude, ...MOCKING], isolate: false } },
    ],
  },
});
