#!/usr/bin/env node
// `npx helio`: runs the TypeScript CLI (src/cli/main.ts) through tsx's loader,
// in this process, so stdio, signals and the exit status need no forwarding.
// tsx is resolved from this file, not from the working directory, so the
// command works from anywhere inside or outside the repository.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

process.setSourceMapsEnabled(true);
// Compile with the repository's settings, not a tsconfig.json that happens to sit in the working directory.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/cli/main.ts');
