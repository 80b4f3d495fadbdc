// Help text, generated from the same option specs the parser uses.
import { globalOptions, rootOptions, subcommandsOf, type OptionSpec } from './args.js';
import type { Command } from './command.js';

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` <${spec.value}>` : ''}`;
    const required = spec.type === 'string' && spec.required ? ' (required)' : '';
    const repeatable = spec.type === 'string' && spec.multiple ? ' (repeatable)' : '';
    return [flag, `${spec.description}${required}${repeatable}`] as const;
  });
  const width = Math.max(0, ...rows.map(([f]) => f.length)) + 2;
  return rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`);
}

export function usageLine(command: Command): string {
  const parts = ['helio', ...command.path];
  for (const [name, spec] of Object.entries(command.options)) {
    const flag = spec.type === 'string' ? `--${name} <${spec.value}>` : `--${name}`;
    const repeated = spec.type === 'string' && spec.multiple ? '...' : '';
    parts.push(spec.type === 'string' && spec.required ? `${flag}${repeated}` : `[${flag}]${repeated}`);
  }
  for (const p of command.positionals ?? []) parts.push(`<${p.name}>`);
  parts.push('[--json]');
  return parts.join(' ');
}

function commandTable(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length)) + 2;
  return commands.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`);
}

export function rootHelp(commands: readonly Command[]): string {
  return [
    'helio: run and administer a Helio server',
    '',
    'Usage: npx helio <command> [options]',
    '',
    'Commands:',
    ...commandTable(commands),
    '',
    'Options:',
    ...optionLines(rootOptions),
    '',
    'Run `npx helio <command> --help` for the options of a command; see docs/cli.md.',
    'Exit status: 0 on success, 1 when the command failed, 2 on a usage error.',
    '',
  ].join('\n');
}

export function groupHelp(commands: readonly Command[], words: readonly string[]): string {
  const members = commands.filter((c) => words.every((w, i) => c.path[i] === w));
  return [
    `Usage: npx helio ${words.join(' ')} <${subcommandsOf(commands, words).join('|')}> [options]`,
    '',
    'Commands:',
    ...commandTable(members),
    '',
    `Run \`npx helio ${words.join(' ')} <command> --help\` for its options.`,
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const lines = [`helio ${command.path.join(' ')}: ${command.summary}`, '', `Usage: ${usageLine(command)}`];
  if (command.description) lines.push('', ...wrap(command.description, 78));
  if (command.positionals?.length) {
    lines.push('', 'Arguments:');
    const width = Math.max(...command.positionals.map((p) => p.name.length)) + 4;
    for (const p of command.positionals) lines.push(`  ${`<${p.name}>`.padEnd(width)}${p.description}`);
  }
  if (Object.keys(command.options).length) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(globalOptions));
  if (command.examples.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  lines.push('');
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
