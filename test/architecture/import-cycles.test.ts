// No import cycles in the repository's own TypeScript. A cycle makes one of
// its modules run before another it needs has finished loading (`undefined`
// imports, "Cannot access before initialization"), and only in some entry
// orders, so it shows up late and far from its cause. The direction between
// core's domains is ESLint's job (eslint.config.js); this catches the rest.
//
// Type-only edges (`import type`, `export type`, `import('x').T`) are left
// out, on purpose: with verbatimModuleSyntax they are erased before the code
// runs, so they cannot cause the failure above. Types that refer to each
// other are sometimes the honest description (the desktop's services hold the
// sync client that is handed those services), and splitting them only adds a
// file restating the shapes. `import { type A } from './a'` does count: that
// statement stays, as `import {} from './a'`, and loads the module.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildImportGraph, findCycles, sourceFiles, workspaceExports, type ImportGraph } from './import-graph.js';

const root = resolve(import.meta.dirname, '../..');
const workspaces = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;

function repositoryGraph(): ImportGraph {
  // Each workspace's code and its own tests (packages/core/test), the cross-package tests, the benchmarks.
  const files = sourceFiles(root, [...workspaces.flatMap((w) => [`${w}/src`, `${w}/test`]), 'test', 'bench']);
  return buildImportGraph(root, files, workspaceExports(root, workspaces));
}

const written = (cycles: string[][]) => cycles.map((cycle) => cycle.join(' -> '));

describe('imports', () => {
  let graph: ImportGraph;
  beforeAll(() => {
    graph = repositoryGraph();
  });

  it('form no cycle in the workspaces, test/ or bench/, dynamic imports included', () => {
    expect(graph.edges.size).toBeGreaterThan(100); // the walk found the tree
    expect(written(findCycles(graph, { includeTypeOnly: false }))).toEqual([]);
  });

  it('all resolve to files, so no edge is missing from the graph', () => {
    expect(graph.unresolved).toEqual([]);
  });
});

describe('the cycle check', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const fixture = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), 'helio-cycles-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const pkg = join(dir, 'packages', 'lib');
    const packages = new Map([['@helio/lib', join(pkg, 'src', 'index.ts')]]);
    return buildImportGraph(dir, sourceFiles(dir, ['src', 'packages']), packages);
  };

  it('reports a cycle closed by a dynamic import, through a workspace package, with its path', () => {
    const graph = fixture({
      'src/server.ts': "import { listen } from './channel/listen.js';\nexport const start = () => listen;\n",
      'src/channel/listen.ts': "import { commands } from '@helio/lib';\nexport const listen = () => commands;\n",
      'packages/lib/src/index.ts': "export { commands } from './commands/index.js';\n",
      'packages/lib/src/commands/index.ts': "export const commands = [async () => (await import('../../../../src/server.js')).start];\n",
    });
    expect(graph.unresolved).toEqual([]);
    expect(written(findCycles(graph, { includeTypeOnly: false }))).toEqual([
      'packages/lib/src/commands/index.ts -> src/server.ts -> src/channel/listen.ts -> packages/lib/src/index.ts -> packages/lib/src/commands/index.ts',
    ]);
  });

  it('counts `import { type A }` but not `import type`', () => {
    const graph = fixture({
      'src/a.ts': "import { type B } from './b.js';\nexport type A = B;\n",
      'src/b.ts': "import { type A } from './a.js';\nexport type B = { a?: A };\n",
      'src/c.ts': "import type { D } from './d.js';\nexport type C = D;\n",
      'src/d.ts': "import type { C } from './c.js';\nexport type D = { c?: C };\n",
    });
    expect(written(findCycles(graph, { includeTypeOnly: false }))).toEqual(['src/a.ts -> src/b.ts -> src/a.ts']);
    expect(written(findCycles(graph, { includeTypeOnly: true }))).toEqual([
      'src/a.ts -> src/b.ts -> src/a.ts',
      'src/c.ts -> src/d.ts -> src/c.ts',
    ]);
  });

  it('reports an import that points at no file', () => {
    const graph = fixture({ 'src/a.ts': "import { gone } from './gone.js';\nexport const a = gone;\n" });
    expect(graph.unresolved).toEqual([{ from: 'src/a.ts', specifier: './gone.js' }]);
  });
});
