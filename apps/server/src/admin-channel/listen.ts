// The server end of the admin channel. Filesystem permissions are the
// authentication: the socket is mode 0600, owned by the user running the
// server, so no other user can connect to it, and that user could open the
// data directory's database files directly anyway. The channel only runs the
// forwardable management commands, as the CLI would run them.
import { chmodSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { resolveCommand } from '../cli/args.js';
import type { CommandServices } from '../cli/command.js';
import { commands } from '../cli/commands/index.js';
import type { CliIo } from '../cli/output.js';
import { run } from '../cli/run.js';
import {
  adminSocketPath,
  MAX_REQUEST_BYTES,
  RUN_PATH,
  runRequest,
  socketPathProblem,
  type RunRequest,
  type RunResponse,
} from './protocol.js';

export interface AdminChannel {
  /** Where the socket is. */
  readonly path: string;
  /** Stops taking commands, lets the running ones finish and removes the socket. */
  close(): Promise<void>;
}

type Log = Pick<FastifyBaseLogger, 'info' | 'warn'>;

/**
 * Listens on `<dataDir>/helio.sock` for commands from the CLI, run with
 * `services` (the server's open database). Resolves to undefined, after a
 * warning, when the socket cannot be made: the server runs on without it.
 */
export async function openAdminChannel(services: CommandServices, log: Log): Promise<AdminChannel | undefined> {
  const path = adminSocketPath(services.config.dataDir);
  const problem = socketPathProblem(path);
  if (problem) {
    log.warn(`the CLI cannot reach this server (stop it to run helio commands): no admin socket, since ${problem}`);
    return undefined;
  }
  const server = createServer((req, res) => {
    handle(req, res, services, log).catch((err: unknown) => {
      log.warn({ err }, 'the admin socket failed to answer the CLI');
      if (!res.headersSent) reply(res, 500, { error: 'the server failed to run the command' });
    });
  });
  // Bound in a fresh directory only this user can enter, made 0600 and only
  // then moved into place, so there is no moment at which another user could
  // connect. `.s` plus mkdtemp's 6 characters and `/s` are as long as
  // `helio.sock`, so the length checked above holds for both paths. The move
  // replaces a socket that a server which crashed left behind.
  let staging: string | undefined;
  try {
    staging = mkdtempSync(join(dirname(path), '.s'));
    const staged = join(staging, 's');
    await listen(server, staged);
    chmodSync(staged, 0o600);
    renameSync(staged, path);
  } catch (err) {
    server.close();
    log.warn({ err }, `the CLI cannot reach this server (stop it to run helio commands): no admin socket at ${path}`);
    return undefined;
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
  }
  server.on('error', (err) => log.warn({ err }, 'the admin socket failed'));
  log.info({ socket: path }, 'helio commands run while this server runs are handed to it through its admin socket');

  let closing: Promise<void> | undefined;
  return {
    path,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        removeSocket(path);
        server.close(() => resolve());
        server.closeIdleConnections();
      })),
  };
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, services: CommandServices, log: Log): Promise<void> {
  if (req.method !== 'POST' || req.url !== RUN_PATH) return reply(res, 404, { error: `only POST ${RUN_PATH} is served here` });
  let request: RunRequest;
  try {
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, { error: `the request is larger than ${MAX_REQUEST_BYTES} bytes` });
    request = runRequest.parse(JSON.parse(body));
  } catch {
    return reply(res, 400, { error: 'the request is not a command: expected {"argv": [...], "stdin"?: "..."}' });
  }
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: {},
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    readStdin: () =>
      request.stdin === undefined
        ? Promise.reject(new Error('the CLI sent no standard input with the command'))
        : Promise.resolve(request.stdin),
  };
  // `run` reports every failure as output and an exit status; it does not throw.
  const exitCode = (await run(request.argv, io, { lent: services })) ?? 0;
  // The command line may hold a password: log only which command ran.
  log.info({ command: commandName(request.argv), exitCode }, 'ran a command for the CLI');
  reply(res, 200, { exitCode, stdout, stderr } satisfies RunResponse);
}

/** The body as text, or undefined when it is too large. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large, so the refusal reaches the client.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function commandName(argv: readonly string[]): string | undefined {
  try {
    const resolved = resolveCommand(argv, commands);
    return resolved.kind === 'command' ? resolved.command.path.join(' ') : undefined;
  } catch {
    return undefined;
  }
}
