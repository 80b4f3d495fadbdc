// The admin channel: on PGlite only one process may open the data directory,
// so a running `helio serve` runs the management commands for a `helio` CLI
// that finds the directory locked. One HTTP request over a Unix socket in the
// data directory: the command line (and standard input, if the command read
// it) in, the command's exit status and output back. Both ends share these
// shapes.
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const SOCKET_FILE_NAME = 'helio.sock';

/** The one endpoint: POST a RunRequest, get a RunResponse. */
export const RUN_PATH = '/run';

/** Largest request accepted: a command line and a password, with room to spare. */
export const MAX_REQUEST_BYTES = 1_048_576;

export const runRequest = z.strictObject({
  argv: z.array(z.string()).max(256),
  /** Standard input, when the command read it in the CLI before it found the directory locked. */
  stdin: z.string().optional(),
});
export type RunRequest = z.infer<typeof runRequest>;

export const runResponse = z.strictObject({
  exitCode: z.number().int().min(0).max(255),
  stdout: z.string(),
  stderr: z.string(),
});
export type RunResponse = z.infer<typeof runResponse>;

/** A request the server turned down before running anything (not a command's own failure). */
export const refusal = z.strictObject({ error: z.string() });

/** `<dataDir>/helio.sock`, absolute. */
export function adminSocketPath(dataDir: string): string {
  return join(resolve(dataDir), SOCKET_FILE_NAME);
}

// sockaddr_un.sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included.
const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;

/** Why no Unix socket can be bound at `path`, or undefined if one can. */
export function socketPathProblem(path: string): string | undefined {
  if (process.platform === 'win32') return 'Unix sockets in the data directory are not supported on Windows';
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return `its path ${path} is ${bytes} bytes long, longer than the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows (use a shorter --data-dir)`;
  }
  return undefined;
}
