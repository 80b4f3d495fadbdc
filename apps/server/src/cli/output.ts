// What a command prints. With --json: exactly one JSON value on stdout and
// nothing else; errors as one JSON object on stderr. Otherwise text for people.
import type { ReportedError } from './errors.js';

/** The process seen by a command, so tests can run the dispatcher without one. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Everything on standard input, until it closes. */
  readStdin(): Promise<string>;
  /** Standard error is a terminal: progress may be drawn there. Absent: it is not. */
  stderrIsTTY?: boolean;
  /**
   * Calls `handler` once on Ctrl-C (SIGINT) or SIGTERM, instead of the process
   * dying, until the returned function is called. Absent where nobody can
   * interrupt the command (a server running it for the CLI).
   */
  onInterrupt?(handler: () => void): () => void;
}

/** A command's answer: the same facts for scripts (`json`) and for people (`text`). */
export interface CommandOutput {
  json: unknown;
  text: string;
}

export function printOutput(io: CliIo, output: CommandOutput, json: boolean): void {
  if (json) io.stdout(`${JSON.stringify(output.json, null, 2)}\n`);
  else io.stdout(output.text.endsWith('\n') ? output.text : `${output.text}\n`);
}

export function printError(io: CliIo, error: ReportedError, json: boolean): void {
  if (json) {
    const { exitCode: _exitCode, stack: _stack, ...body } = error;
    io.stderr(`${JSON.stringify({ error: body })}\n`);
    return;
  }
  const lines = [`helio: ${error.code}: ${error.message}`];
  for (const d of error.details) lines.push(`  ${d.path ? `${d.path}: ` : ''}${d.message}`);
  if (error.hint) lines.push(`hint: ${error.hint}`);
  if (error.stack) lines.push(error.stack);
  io.stderr(`${lines.join('\n')}\n`);
}

/** Left-aligned columns under a header; empty cells show as `-`. */
export function table(header: readonly string[], rows: readonly (readonly (string | null | undefined)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ')).join('\n');
}

/** `key: value` lines with the values aligned. */
export function fields(pairs: readonly (readonly [string, string | null | undefined])[]): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v ?? '-'}`).join('\n');
}
