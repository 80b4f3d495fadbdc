// Reading a YAML stream safely, and finding where a path of a bundle sits
// in the text.
//
// Two kinds of hostile input are stopped here, before anything builds the
// JavaScript value:
// - nesting: the `yaml` package composes recursively, and a few hundred
//   kilobytes of `[[[[…` exhaust the stack (at worst inside V8's regular
//   expression compiler, which then aborts the process instead of throwing).
//   The depth is therefore measured on the concrete syntax tree, iteratively,
//   before composing.
// - aliases: `*a` repeats the node anchored `&a`, so a few lines can stand
//   for billions of nodes (the "billion laughs"). The expanded size and depth
//   are computed from the syntax tree (each anchored node measured once) and
//   refused above a budget, so no expansion ever happens. The budget is the
//   body's, shared by its documents: thousands of small bombs, each within
//   it, are one big bomb. `toJS` keeps its own `maxAliasCount` check as a
//   second guard.
// - documents: each one costs its own composing and expansion, so a body
//   holds at most MAX_YAML_DOCUMENTS of them, counted before any is composed.
import {
  Composer,
  Parser,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type CST,
  type Document,
  type LineCounter,
  type Node,
  type Pair,
  type ParsedNode,
  type Scalar,
} from 'yaml';

/** The deepest nesting a bundle document may have (a bundle needs about ten levels, GeoJSON a few more). */
export const MAX_YAML_DEPTH = 100;
/** How many nodes aliases may add to one body, expanded, its documents together (and so to one document). */
export const MAX_ALIAS_EXPANSION = 1_000_000;
/** How many documents one YAML body may hold, empty ones included. */
export const MAX_YAML_DOCUMENTS = 1_000;

/** A problem of the text itself, by offset; `doc` is the index of the document holding it, when known. */
export interface YamlSyntaxIssue {
  doc?: number;
  offset: number;
  msg: string;
  type: string;
  /** The limit broken is the body's, its documents together, rather than this document's alone. */
  body?: true;
}

export interface YamlStream {
  docs: Document.Parsed[];
  /** Problems of the stream outside any document (only reported when there is no document). */
  streamIssues: YamlSyntaxIssue[];
}

/** A scalar key as the bundle sees it: a string as written (see YamlDocument.measure). */
function scalarKey(node: Scalar): string {
  return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
}

/** Two keys of one map are the same key when they read as the same string (`1` and `001` are two keys, as in the bundle). */
function sameKey(a: ParsedNode, b: ParsedNode): boolean {
  return a === b || (isScalar(a) && isScalar(b) && scalarKey(a) === scalarKey(b));
}

/**
 * Parses `text` into its documents, or returns why it cannot be composed
 * safely: the first document past MAX_YAML_DOCUMENTS (found while
 * tokenising, so the rest is not even read), or the first document nested
 * too deeply.
 */
export function readYamlStream(text: string, lineCounter: LineCounter): YamlStream | YamlSyntaxIssue {
  const tokens: CST.Token[] = [];
  let documents = 0;
  for (const token of new Parser(lineCounter.addNewLine).parse(text)) {
    if (token.type === 'document' && ++documents > MAX_YAML_DOCUMENTS) {
      const msg = `the body holds more than ${MAX_YAML_DOCUMENTS} documents`;
      return { doc: documents - 1, offset: token.offset, msg, type: 'too_many_documents', body: true };
    }
    tokens.push(token);
  }
  const tooDeep = deepestDocument(tokens);
  if (tooDeep) return tooDeep;
  const composer = new Composer({ uniqueKeys: sameKey });
  const docs = Array.from(composer.compose(tokens));
  const info = composer.streamInfo();
  const streamIssues = [...info.errors].map((e) => ({ offset: e.pos[0], msg: e.message, type: 'yaml_syntax' }));
  return { docs, streamIssues };
}

/** The first document whose nesting exceeds MAX_YAML_DEPTH, located at the token that goes too deep. */
function deepestDocument(tokens: CST.Token[]): YamlSyntaxIssue | undefined {
  let doc = -1;
  for (const token of tokens) {
    if (token.type !== 'document') continue;
    doc += 1;
    const stack: [CST.Token, number][] = token.value ? [[token.value, 1]] : [];
    while (stack.length > 0) {
      const [t, depth] = stack.pop()!;
      if (depth > MAX_YAML_DEPTH) return { doc, offset: t.offset, msg: `nested deeper than ${MAX_YAML_DEPTH} levels`, type: 'too_deep' };
      if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
        for (const item of t.items as CST.CollectionItem[]) {
          if (item.key) stack.push([item.key, depth + 1]);
          if (item.value) stack.push([item.value, depth + 1]);
        }
      }
    }
  }
  return undefined;
}

type Loc = (string | number)[];

/**
 * The alias expansion left to one body, shared by its documents. A document
 * refused on its own (over the budget alone, an unknown alias) spends
 * nothing: the body is refused for it anyway, and its own refusal says why.
 */
export class AliasBudget {
  private spent = 0;

  get left(): number {
    return MAX_ALIAS_EXPANSION - this.spent;
  }

  spend(nodes: number): void {
    this.spent += nodes;
  }
}

/** The key of a map entry as the bundle sees it (see normaliseKeys). */
function keyText(pair: Pair): string {
  return isScalar(pair.key) ? scalarKey(pair.key) : String(pair.key);
}

/**
 * One composed document: checked against the alias budget (the body's, when
 * the documents of one body share `budget`), its keys made strings, and
 * indexed to map a bundle path back to a line and column.
 */
export class YamlDocument {
  private readonly aliasTargets = new Map<Node, Node>();
  private readonly mapIndex = new Map<Node, Map<string, Pair>>();
  /** The first reason the document cannot be expanded safely, if any. */
  readonly expansionIssue: YamlSyntaxIssue | undefined;

  constructor(
    readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
    budget: AliasBudget = new AliasBudget(),
  ) {
    this.expansionIssue = this.measure(budget);
  }

  /**
   * Walks the document once, in document order (the order anchors are
   * defined in), and returns the first budget it breaks: its own, or what
   * is left of the body's (which it spends when within both). On the way:
   * makes every scalar key a string as written, because the core schema
   * reads a key `001` as the number 1 (and `1e3` as 1000), which would
   * silently change a member's or an asset's key; and records each alias's
   * node.
   */
  private measure(budget: AliasBudget): YamlSyntaxIssue | undefined {
    const anchors = new Map<string, Node>();
    // Sizes and heights are kept only for anchored nodes: only they can be an alias's target.
    const measured = new Map<Node, [number, number]>();
    const open = new Set<Node>();
    let added = 0;
    let issue: YamlSyntaxIssue | undefined;
    const fail = (node: Node, msg: string, type: string, body?: true) => {
      issue ??= { offset: node.range?.[0] ?? 0, msg, type, ...(body ? { body } : {}) };
    };
    // Returns [expanded size, expanded height]; the syntax tree is at most MAX_YAML_DEPTH deep, so recursion is safe.
    const visit = (node: Node | null | undefined): [number, number] => {
      if (!node || issue) return [0, 0];
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) {
          fail(node, `unknown alias *${node.source} (an anchor must be defined before its alias)`, 'yaml_syntax');
          return [1, 1];
        }
        if (open.has(target)) {
          fail(node, `alias *${node.source} refers to a node that contains it`, 'too_large');
          return [1, 1];
        }
        this.aliasTargets.set(node, target);
        const [size, height] = measured.get(target) ?? [1, 1];
        added += size - 1;
        if (added > MAX_ALIAS_EXPANSION) fail(node, `aliases expand the document by more than ${MAX_ALIAS_EXPANSION} nodes`, 'too_large');
        else if (added > budget.left)
          fail(node, `aliases expand the body by more than ${MAX_ALIAS_EXPANSION} nodes, its documents together`, 'too_large', true);
        return [size, height];
      }
      const anchored = !!node.anchor;
      if (anchored) {
        anchors.set(node.anchor!, node);
        open.add(node);
      }
      let size = 1;
      let height = 0;
      if (isMap(node)) {
        for (const pair of node.items) {
          const key = pair.key as Node | null;
          if (isScalar(key) && typeof key.value !== 'string') key.value = scalarKey(key);
          const [ks, kh] = visit(key);
          const [vs, vh] = visit(pair.value as Node | null);
          size += ks + vs;
          height = Math.max(height, kh, vh);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) {
          const [is, ih] = visit(item as Node | null);
          size += is;
          height = Math.max(height, ih);
        }
      }
      height += 1;
      if (anchored) {
        open.delete(node);
        measured.set(node, [size, height]);
      }
      if (height > MAX_YAML_DEPTH) fail(node, `aliases nest the document deeper than ${MAX_YAML_DEPTH} levels`, 'too_deep');
      return [size, height];
    };
    visit(this.doc.contents as Node | null);
    if (!issue) budget.spend(added);
    return issue;
  }

  /** 1-based line and column of an offset. */
  lineColumn(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  private deref(node: Node): Node {
    return isAlias(node) ? (this.aliasTargets.get(node) ?? node) : node;
  }

  private entries(map: Node & { items: Pair[] }): Map<string, Pair> {
    let index = this.mapIndex.get(map);
    if (!index) {
      // Later entries win, as in the JavaScript value.
      index = new Map(map.items.map((pair) => [keyText(pair), pair]));
      this.mapIndex.set(map, index);
    }
    return index;
  }

  /**
   * Where the node at `loc` is written: its key when `onKey` (an unknown or
   * duplicate field), else its value; for a path that does not exist (a
   * missing field), the deepest collection on the way.
   */
  position(loc: Loc, onKey: boolean): { line: number; column: number } | undefined {
    let node = this.doc.contents as Node | null;
    if (!node) return undefined;
    let offset = node.range?.[0];
    for (let i = 0; i < loc.length && node; i++) {
      node = this.deref(node);
      const last = i === loc.length - 1;
      let next: Node | null | undefined;
      if (isMap(node)) {
        const pair = this.entries(node).get(String(loc[i]));
        if (!pair) break;
        const key = pair.key as Node | null;
        if ((last && onKey) || !pair.value) {
          offset = key?.range?.[0] ?? offset;
          break;
        }
        next = pair.value as Node;
      } else if (isSeq(node) && typeof loc[i] === 'number') {
        next = node.items[loc[i] as number] as Node | null | undefined;
      }
      if (!next) break;
      node = next;
      offset = node.range?.[0] ?? offset;
    }
    return offset === undefined ? undefined : this.lineColumn(offset);
  }

  /** The path of the entry whose key or value holds `offset` (for problems the parser reports by offset). */
  pathAt(offset: number): Loc {
    const loc: Loc = [];
    let node = this.doc.contents as Node | null;
    const holds = (n: Node | null | undefined) => !!n?.range && n.range[0] <= offset && offset < Math.max(n.range[2], n.range[0] + 1);
    while (node && loc.length <= MAX_YAML_DEPTH) {
      let next: Node | undefined;
      if (isMap(node)) {
        for (const pair of node.items) {
          const key = pair.key as Node | null;
          const value = pair.value as Node | null;
          const start = key?.range?.[0] ?? value?.range?.[0];
          const end = value?.range?.[2] ?? key?.range?.[2];
          if (start === undefined || end === undefined || offset < start || offset >= end) continue;
          // Between the key and the value (a tag, an anchor) counts as the entry itself.
          if (!holds(value)) return [...loc, keyText(pair)];
          loc.push(keyText(pair));
          next = value!;
          break;
        }
      } else if (isSeq(node)) {
        const i = node.items.findIndex((item) => holds(item as Node | null));
        if (i >= 0) {
          loc.push(i);
          next = node.items[i] as Node;
        }
      }
      if (!next) break;
      node = next;
    }
    return loc;
  }
}
