// The dispatcher in-process: argument handling and help, which need no
// database. The real process is exercised in cli.test.ts.
import { describe, expect, it } from 'vitest';
import { commands } from './commands/index.js';
import type { CliIo } from './output.js';
import { run } from './run.js';

async function runCli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: {},
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: () => Promise.reject(new Error('stdin is not expected here')),
  };
  const status = await run(argv, io);
  return { status, stdout, stderr };
}

describe('helio command line', () => {
  it('lists every command in the global help', async () => {
    for (const argv of [['--help'], ['help'], ['-h']]) {
      const r = await runCli(argv);
      expect(r.status).toBe(0);
      for (const c of commands) expect(r.stdout).toContain(c.path.join(' '));
    }
  });

  it('shows a command’s options, required ones marked, for --help and help <command>', async () => {
    const direct = await runCli(['apikey', 'create', '--help']);
    expect(direct.status).toBe(0);
    expect(direct.stdout).toContain('Usage: helio apikey create --org <id> --name <name> [--role <role>] [--json]');
    expect(direct.stdout).toMatch(/--org <id>\s+Organisation the key acts for \(required\)/);
    expect(direct.stdout).toContain('--database-url <url>');
    expect((await runCli(['help', 'apikey', 'create'])).stdout).toBe(direct.stdout);
    const group = await runCli(['apikey', '--help']);
    expect(group.status).toBe(0);
    expect(group.stdout).toContain('<create|list|revoke>');
  });

  it('prints the version, as JSON with --json', async () => {
    expect((await runCli(['--version'])).stdout).toMatch(/^helio \d+\.\d+\.\d+\n$/);
    expect(JSON.parse((await runCli(['--version', '--json'])).stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });

  it.each([
    [[], /no command given/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['apikey'], /"apikey" needs a command: create, list, revoke/],
    [['apikey', 'rotate'], /unknown command "apikey rotate"; "apikey" has: create, list, revoke/],
    [['org', 'create'], /missing required option --name <name>/],
    [['org', 'create', '--name'], /--name <value>' argument missing/],
    [['org', 'create', '--name', 'A', '--colour', 'red'], /Unknown option '--colour'/],
    [['org', 'list', 'extra'], /unexpected argument "extra"/],
    [['apikey', 'revoke'], /missing argument <id>/],
    [['user', 'create', '--email', 'a@b.co', '--name', 'A', '--password', 'x', '--password-stdin'], /not both/],
    [
      ['user', 'create', '--email', 'a@b.co', '--name', 'A', '--org', '0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e'],
      /--org and --role go together/,
    ],
  ])('treats %j as a usage error: exit status 2, nothing on stdout', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^helio: USAGE_ERROR: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\nhint: /);
  });

  it('reports a usage error as one JSON object on stderr with --json', async () => {
    const r = await runCli(['org', 'create', '--json']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toEqual({
      error: {
        code: 'USAGE_ERROR',
        message: 'missing required option --name <name>',
        details: [],
        hint: expect.stringContaining('usage: helio org create --name <name> [--json]'),
      },
    });
  });

  it('reports an invalid configuration with its own code and exit status 1', async () => {
    const r = await runCli(['org', 'list', '--config', '/nonexistent/helio.yaml']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^helio: CONFIG_ERROR: config file \/nonexistent\/helio.yaml does not exist/);
  });
});
