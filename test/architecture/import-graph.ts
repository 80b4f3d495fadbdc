// The repository's own import graph, read with TypeScript's parser (no
// bundler, no type checking: fast, and it sees exactly what the source says),
// and the cycles in it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Repository-relative path of the imported file. */
  to: string;
  specifier: string;
  /** `import type` / `export type` / `import('x').T`: erased before the code runs. */
  typeOnly: boolean;
}

export interface ImportGraph {
  /** Repository-relative path of each file to the files it imports. */
  edges: Map<string, ImportEdge[]>;
  /** Relative or workspace specifiers that point at no file: a gap in the graph, reported rather than skipped. */
  unresolved: { from: string; specifier: string }[];
}

const SOURCE = /\.(ts|tsx|mts|cts)$/;
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];

/** Every TypeScript file under `dirs` (relative to `root`), minus node_modules and build output. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
    }
  };
  for (const dir of dirs) if (existsSync(join(root, dir))) walk(join(root, dir));
  return out.sort();
}

/**
 * Workspace package name to its exports map, resolved to absolute paths
 * (`@helio/db/pglite` -> `/repo/packages/db/src/drivers/pglite.ts`).
 */
export function workspaceExports(root: string, packageDirs: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const dir of packageDirs) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
    for (const [key, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target !== 'string') continue; // conditional exports: none in this repository
      map.set(key === '.' ? pkg.name : `${pkg.name}/${key.replace(/^\.\//, '')}`, resolve(root, dir, target));
    }
  }
  return map;
}

function resolveFile(base: string): string | undefined {
  const candidates = [base, ...EXTENSIONS.map((e) => base.replace(/\.(js|jsx|mjs|cjs)$/, e)), ...EXTENSIONS.map((e) => base + e)];
  candidates.push(...EXTENSIONS.map((e) => join(base, `index${e}`)));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** The specifiers a file imports, with dynamic `import()` and re-exports, and whether each is erased. */
export function importsOf(fileName: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      // With verbatimModuleSyntax, `import { type A } from 'x'` still loads x; only a statement-level `import type` is erased.
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly ?? false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) found.push({ specifier: expr.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      // A dynamic import is loaded later, but it is still a dependency: it counts.
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) found.push({ specifier: arg.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) found.push({ specifier: arg.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads `files` and links them through relative specifiers and the workspace packages' exports maps. */
export function buildImportGraph(root: string, files: readonly string[], packages: Map<string, string>): ImportGraph {
  const edges = new Map<string, ImportEdge[]>();
  const unresolved: ImportGraph['unresolved'] = [];
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  for (const file of files) {
    const text = readIfPresent(file);
    if (text === undefined) continue; // deleted since the walk listed it
    const list: ImportEdge[] = [];
    for (const { specifier, typeOnly } of importsOf(file, text)) {
      let target: string | undefined;
      if (specifier.startsWith('.')) {
        target = resolveFile(resolve(dirname(file), specifier.replace(/\?.*$/, '')));
      } else if (/^@helio\//.test(specifier)) {
        target = packages.get(specifier);
      } else {
        continue; // Node built-ins and npm packages cannot import our files back.
      }
      if (!target) unresolved.push({ from: rel(file), specifier });
      else if (SOURCE.test(target)) list.push({ to: rel(target), specifier, typeOnly });
      // Anything else (CSS, JSON, images) imports nothing of ours.
    }
    edges.set(rel(file), list);
  }
  return { edges, unresolved };
}

/**
 * The import cycles, one per file that lies on any: the shortest cycle
 * through it, written `a.ts -> b.ts -> a.ts`. Strongly connected components
 * (Tarjan) find the files; a breadth-first search inside each gives the path.
 * Listing every elementary cycle could run into thousands for one tangle;
 * one per file names every file to look at, and the edges to cut.
 */
export function findCycles(graph: ImportGraph, options: { includeTypeOnly: boolean }): string[][] {
  const next = (file: string) =>
    [...new Set((graph.edges.get(file) ?? []).filter((e) => options.includeTypeOnly || !e.typeOnly).map((e) => e.to))].sort();

  // Tarjan, iteratively: the graph is a few hundred files deep at most, but recursion limits are not worth testing.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of [...graph.edges.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; children: string[]; i: number }[] = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, children: next(node), i: 0 });
    };
    enter(start);
    while (work.length) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.children.length) {
        const child = frame.children[frame.i++]!;
        if (!index.has(child)) enter(child);
        else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let node: string;
        do {
          node = stack.pop()!;
          onStack.delete(node);
          component.push(node);
        } while (node !== frame.node);
        const selfLoop = next(frame.node).includes(frame.node);
        if (component.length > 1 || selfLoop) components.push(component.sort());
      }
    }
  }

  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const component of components) {
    const members = new Set(component);
    for (const from of component) {
      const cycle = shortestCycle(from, (f) => next(f).filter((t) => members.has(t)));
      // The same cycle found from each of its files: keep it once, written from its smallest file.
      const canonical = rotate(cycle);
      const key = canonical.join(' -> ');
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push(canonical);
    }
  }
  return cycles;
}

function shortestCycle(from: string, next: (file: string) => string[]): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i]!;
    for (const to of next(file)) {
      if (to === from) {
        const path = [file];
        while (path[0] !== from) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, from];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, file);
        queue.push(to);
      }
    }
  }
  throw new Error(`${from} is in a strongly connected component but on no cycle`);
}

/** `b -> c -> a -> b` becomes `a -> b -> c -> a`, so one cycle has one spelling. */
function rotate(cycle: string[]): string[] {
  const ring = cycle.slice(0, -1);
  const start = ring.indexOf([...ring].sort()[0]!);
  const rotated = [...ring.slice(start), ...ring.slice(0, start)];
  return [...rotated, rotated[0]!];
}
