// The CLI end of the admin channel: hands a command to the server that holds
// the PGlite data directory, and brings back what the command printed.
import { lstatSync } from 'node:fs';
import { request } from 'node:http';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { DataDirLockedError } from '@helio/db/data-dir-lock';
import { CliError } from '../cli/errors.js';
import { adminSocketPath, refusal, RUN_PATH, runResponse, type RunRequest, type RunResponse } from './protocol.js';

// Connecting failed: nothing was sent, so nothing ran.
const NOT_LISTENING = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTSOCK']);

/**
 * A socket of this user's at `path`. One that another user put there (in a
 * data directory others may write to) must not receive the command and its
 * standard input, which may hold a password.
 */
function isOwnSocket(path: string): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isSocket() && stat.uid === process.getuid?.();
  } catch {
    return false;
  }
}

/**
 * Has the server holding the data directory run the command. Undefined when
 * no server listens there for commands (the holder is not a server, is on
 * another host, or is a server without the channel): then the lock stands.
 */
export async function forwardToServer(locked: DataDirLockedError, run: RunRequest): Promise<RunResponse | undefined> {
  // lockDataDir refuses a holder on this host only while its process is alive.
  if (locked.holder?.host !== hostname()) return undefined;
  const path = adminSocketPath(dirname(locked.lockPath));
  if (!isOwnSocket(path)) return undefined;
  const body = JSON.stringify(run);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: path,
        path: RUN_PATH,
        method: 'POST',
        // One request per connection: nothing is left open to hold up the server's shutdown.
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(lost(path, err)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            const parsed: unknown = JSON.parse(text);
            if (res.statusCode === 200) return resolve(runResponse.parse(parsed));
            reject(new CliError('INTERNAL_ERROR', `the server at ${path} refused the command: ${refusal.parse(parsed).error}`));
          } catch {
            reject(new CliError('INTERNAL_ERROR', `the server at ${path} gave an unexpected answer (HTTP ${res.statusCode ?? '?'})`));
          }
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (NOT_LISTENING.has(err.code ?? '')) resolve(undefined);
      else reject(lost(path, err));
    });
    req.end(body);
  });
}

function lost(path: string, err: Error): CliError {
  return new CliError('INTERNAL_ERROR', `lost the connection to the server at ${path} while it ran the command: ${err.message}`, {
    hint: 'the command may or may not have taken effect: check with a list command before running it again',
  });
}
