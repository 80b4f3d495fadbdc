import type { Engine } from '@helio/db';
import { testEngines } from '@helio/db/testing';
import { describe } from 'vitest';

/** Declares `fn`'s tests once per test engine (PGlite always, PostgreSQL with TEST_DATABASE_URL). */
export function describeEachEngine(name: string, fn: (engine: Engine) => void): void {
  for (const engine of testEngines) describe(`${name} [${engine}]`, () => fn(engine));
}
