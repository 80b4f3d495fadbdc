#!/usr/bin/env node
// `npx helio`: runs the TypeScript CLI (src/cli/main.ts) through tsx's loader,
// in this process, so stdio, signals and the exit status need no forwarding.
// tsx is resolved from this file, not from the working directory, so the
// command works from anywhere inside or outside the repository.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

process.setSourceMapsEnabled(true);
// zod (every command line) and PGlite (every command that opens a database:
// both drivers are imported, whichever is used) are plain JavaScript, loaded
// here by Node itself, before tsx's loader is registered. Through the loader,
// each file is a round trip to its worker thread, and PGlite's large files are
// rewritten there with a new source map: about 0.35 s of CPU for the two,
// against 0.07 s. The sources import the same files later and get these
// modules. Dynamic imports, so that they load with source maps on.
await import('zod');
await import('@electric-sql/pglite');
// Compile with the repository's settings, not a tsconfig.json that happens to sit in the working directory.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/cli/main.ts');
