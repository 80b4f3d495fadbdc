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

/**
 * A freshly initialised data directory, and the same after every migration,
 * as tarballs. Without the databases `template0` and `template1`: nothing
 * creates a database in a test's PGlite, and their files are two thirds of a
 * template's, which every test database would copy into memory at start
 * (a fifth of its start-up CPU). A checkpoint first leaves the write-ahead
 * log nothing to replay at start.
 */
export async function buildPgliteTemplates(): Promise<Record<PgliteTemplate, Blob>> {
  const instance = await PGlite.create({ parsers: pgliteParsers });
  try {
    const { rows } = await instance.query<{ oid: number }>('SELECT oid::int AS oid FROM pg_database WHERE datname <> current_database()');
    const unused = rows.map((r) => `/base/${r.oid}`);
    const dump = async () => {
      await instance.exec('CHECKPOINT');
      const tarball = new Uint8Array(await (await instance.dumpDataDir('none')).arrayBuffer());
      return new Blob([withoutDirectories(tarball, unused)]);
    };
    const empty = await dump();
    await migrate(await openPglite({ instance }));
    const migrated = await dump();
    return { empty, migrated };
  } finally {
    await instance.close();
  }
}

/**
 * A tar archive (ustar, as PGlite writes it) without the entries at or under
 * `dirs`. An archive with entries this reader does not know (long names in
 * pax or GNU records) comes back whole.
 */
export function withoutDirectories(tar: Uint8Array, dirs: readonly string[]): Uint8Array {
  const text = (from: number, length: number) => {
    const field = tar.subarray(from, from + length);
    const end = field.indexOf(0);
    return Buffer.from(end < 0 ? field : field.subarray(0, end)).toString('utf8');
  };
  const kept: Uint8Array[] = [];
  let at = 0;
  while (at + 512 <= tar.length && tar.subarray(at, at + 512).some((b) => b !== 0)) {
    const type = String.fromCharCode(tar[at + 156]!);
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') return tar;
    const name = text(at, 100);
    const prefix = text(at + 257, 6) === 'ustar' ? text(at + 345, 155) : '';
    const path = prefix ? `${prefix}/${name}` : name;
    const size = parseInt(text(at + 124, 12).trim() || '0', 8);
    const length = 512 + Math.ceil(size / 512) * 512;
    if (!dirs.some((dir) => path === dir || path === `${dir}/` || path.startsWith(`${dir}/`))) kept.push(tar.subarray(at, at + length));
    at += length;
  }
  kept.push(new Uint8Array(1024));
  return Buffer.concat(kept);
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
