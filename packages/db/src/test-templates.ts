// Vitest global setup: the PGlite data directories every test database starts
// from, built once per run. Creating a PGlite runs initdb (a second or more);
// loading a data directory someone dumped costs a fraction of that, and each
// test file runs in its own process, so a template kept in memory would be
// rebuilt per file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { openPglite, pgliteParsers } from './drivers/pglite.js';
import { migrate } from './migrate.js';

export type PgliteTemplate = 'empty' | 'migrated';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder holding `<template>.tar` for each PGlite template. */
    pgliteTemplateDir: string;
  }
}

/** A freshly initialised data directory, and the same after every migration, as tarballs. */
export async function buildPgliteTemplates(): Promise<Record<PgliteTemplate, Blob>> {
  const instance = await PGlite.create({ parsers: pgliteParsers });
  try {
    const empty = await instance.dumpDataDir('none');
    await migrate(await openPglite({ instance }));
    const migrated = await instance.dumpDataDir('none');
    return { empty, migrated };
  } finally {
    await instance.close();
  }
}

export function pgliteTemplateFile(dir: string, template: PgliteTemplate): string {
  return join(dir, `${template}.tar`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'helio-pglite-templates-'));
  const templates = await buildPgliteTemplates();
  for (const [name, tarball] of Object.entries(templates)) {
    await writeFile(pgliteTemplateFile(dir, name as PgliteTemplate), new Uint8Array(await tarball.arrayBuffer()));
  }
  project.provide('pgliteTemplateDir', dir);
  return () => rm(dir, { recursive: true, force: true });
}
