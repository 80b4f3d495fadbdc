// The desktop app without Electron: the same main-process services and
// router, with the renderer served over HTTP on the loopback interface and
// tRPC over HTTP instead of IPC. Used where Electron cannot run (CI, a
// browser on the same machine) and by the browser tests.
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { RENDERER_HEADERS } from './main/content-security-policy.js';
import { resolveRendererFile } from './main/renderer-files.js';
import { createDesktopContext, desktopRouter } from './main/router.js';
import { MAX_CAPTURE_BYTES, openDesktopServices, type DesktopServices, type OpenDesktopOptions } from './main/services.js';

export interface WebHostOptions extends OpenDesktopOptions {
  /** The built renderer (vite build output). */
  rendererDir: string;
  /** 127.0.0.1 unless told otherwise: the host has no sign-in of its own, so it must not listen on a network. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface WebHost {
  url: string;
  services: DesktopServices;
  close(): Promise<void>;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...RENDERER_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const services = await openDesktopServices(options);
  const host = options.host ?? '127.0.0.1';
  let origin = '';
  let allowedHosts = new Set<string>();
  const trpc = createHTTPHandler({
    router: desktopRouter,
    basePath: '/trpc/',
    // Base64 grows a file by a third; leave room for the rest of the request.
    maxBodySize: Math.ceil((MAX_CAPTURE_BYTES * 4) / 3) + 64 * 1024,
    createContext: () => createDesktopContext(services),
    // The page gets the code and message only (core's formatter): the cause and its stack go to the log.
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`helio desktop: ${path ?? 'request'} failed`, error.cause ?? error);
    },
  });

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // Any page in a browser on this machine can send requests to 127.0.0.1: only the
    // renderer's own origin may call the router (a foreign Origin, or a rebound Host name, is refused).
    const requestOrigin = req.headers.origin;
    const requestHost = req.headers.host ?? '';
    if (!allowedHosts.has(requestHost) || (requestOrigin !== undefined && requestOrigin !== `http://${requestHost}`)) {
      return sendText(res, 403, 'forbidden');
    }
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path.startsWith('/trpc/')) return trpc(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    const file = resolveRendererFile(options.rendererDir, path);
    if (!file) return sendText(res, 404, 'not found');
    res.writeHead(200, { ...RENDERER_HEADERS, 'Content-Type': file.mediaType, 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file.path)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const server: Server = createServer(handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (err) {
    await services.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  origin = `http://${hostPort}`;
  allowedHosts = new Set(host === '127.0.0.1' || host === '::1' ? [hostPort, `localhost:${port}`] : [hostPort]);

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    services,
    close: () =>
      (closing ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await services.close();
      })()),
  };
}

export type { DesktopRouter } from './main/router.js';
export { DataDirLockedError } from '@helio/db/data-dir-lock';
