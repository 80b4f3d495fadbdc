// The CLI parses a command line, and hands a command over to a running
// server (admin-channel/), without loading the domain, the database drivers,
// the HTTP server or MQTT.js: those are most of a start-up's time, and are
// loaded by the commands that use them when they run (see context.ts). Help,
// --version and usage errors need no configuration either (YAML, the config
// schema), nor the admin channel's client. This walks the static imports from
// the entry point, as Node would load them. (The launcher, bin/helio.js, loads
// zod and PGlite before it, on purpose: see there.)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../../..');

/** Workspace packages and the subpaths they export, to their source files. */
function workspaceFile(specifier: string): string | undefined {
  const match = /^(@helio\/[a-z-]+)(\/.*)?$/.exec(specifier);
  if (!match) return undefined;
  const dir = { '@helio/core': 'packages/core', '@helio/db': 'packages/db', '@helio/server': 'apps/server' }[match[1]!];
  if (!dir) return undefined;
  const exports = (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { exports: Record<string, string> }).exports;
  const target = exports[`.${match[2] ?? ''}`];
  return target ? join(root, dir, target) : undefined;
}

/** The specifiers a module imports for their values: `import type` and `export type` lines load nothing. */
function valueImports(source: string): string[] {
  const found: string[] = [];
  const pattern = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(pattern)) if (!m[1]) found.push(m[2]!);
  return found;
}

/** Every module the entry point loads before any command runs, as paths (ours) and package names (others'). */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of valueImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('node:')) continue;
      const local = specifier.startsWith('.') ? join(dirname(file), specifier.replace(/\.js$/, '.ts')) : workspaceFile(specifier);
      if (local) {
        expect(existsSync(local), `${specifier} from ${file}`).toBe(true);
        pending.push(local);
      } else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  }
  return { files, packages };
}

describe('the CLI at start-up', () => {
  it('loads neither the domain nor the drivers, the server, MQTT.js or the configuration before a command needs them', () => {
    const { files, packages } = staticGraph(join(root, 'apps/server/src/cli/main.ts'));
    const heavy = [
      join(root, 'packages/core/src/index.ts'),
      join(root, 'apps/server/src/services.ts'),
      join(root, 'apps/server/src/server.ts'),
      join(root, 'apps/server/src/open-database.ts'),
      join(root, 'apps/server/src/devices/simulator.ts'),
      join(root, 'apps/server/src/devices/package.ts'),
      join(root, 'apps/server/src/config.ts'),
      join(root, 'apps/server/src/admin-channel/forward.ts'),
    ];
    expect(heavy.filter((f) => files.has(f))).toEqual([]);
    expect(
      [...packages].filter((p) => ['fastify', 'mqtt', 'aedes', 'pg', '@electric-sql/pglite', 'jose', '@trpc/server', 'yaml'].includes(p)),
    ).toEqual([]);
    // The walk did reach the commands.
    expect(files.has(join(root, 'apps/server/src/cli/commands/community.ts'))).toBe(true);
  });
});
