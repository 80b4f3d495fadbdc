import { readFile } from 'node:fs/promises';
import type { Session } from 'electron';
import { RENDERER_HEADERS } from './content-security-policy.js';
import { resolveRendererFile } from './renderer-files.js';
import { APP_HOST, APP_SCHEME } from './security.js';

/** Serves the built renderer at app://helio/, with the CSP and the other renderer headers. */
export function serveRenderer(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST && request.method === 'GET' ? resolveRendererFile(rendererDir, url.pathname) : undefined;
    if (!file) return new Response('not found', { status: 404, headers: RENDERER_HEADERS });
    return new Response(await readFile(file.path), { headers: { ...RENDERER_HEADERS, 'Content-Type': file.mediaType } });
  });
}
