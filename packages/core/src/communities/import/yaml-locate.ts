// Lines and columns for the problems only the database reveals (a POD taken
// by another community, a dangling link), found after parsing: the YAML text
// is read again, once, and only when such a problem needs placing, so an
// import that succeeds pays nothing for it.
import { LineCounter } from 'yaml';
import type { BundleProblem } from '../bundle/parse.js';
import { readYamlStream, YamlDocument } from '../bundle/yaml-ast.js';

/** Adds the document index and, where the text has the path, the line and column to problems of one document. */
export function yamlLocator(text: string): (doc: number, problems: BundleProblem[]) => BundleProblem[] {
  let documents: YamlDocument[] | undefined;
  const documentAt = (index: number): YamlDocument | undefined => {
    if (!documents) {
      const lineCounter = new LineCounter();
      const stream = readYamlStream(text, lineCounter);
      // The text parsed before, so it parses again; should it not, problems go without a position.
      documents = 'offset' in stream ? [] : stream.docs.map((doc) => new YamlDocument(doc, lineCounter));
    }
    return documents[index];
  };
  return (doc, problems) =>
    problems.map((p) => {
      if (p.line !== undefined) return { ...p, doc: p.doc ?? doc };
      const position = documentAt(doc)?.position(p.loc, false);
      return { ...p, doc: p.doc ?? doc, ...position };
    });
}
