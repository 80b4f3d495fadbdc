// Finds the built renderer's file for a URL path, for the app:// handler and
// the web host alike: only files inside the build directory, and index.html
// for the app's own routes.
import { statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { RENDERER_MEDIA_TYPES } from './content-security-policy.js';

export interface RendererFile {
  path: string;
  mediaType: string;
}

export function resolveRendererFile(rendererDir: string, urlPath: string): RendererFile | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const relative = normalize(decoded).replace(/^([/\\])+/, '');
  if (relative.split(/[/\\]/).includes('..')) return undefined;
  const root = normalize(rendererDir + sep);
  let path = join(root, relative);
  if (!path.startsWith(root)) return undefined;
  if (relative === '' || !isFile(path)) {
    // The renderer routes with the URL hash, so only `/` and `/index.html` name the page;
    // a missing asset is a 404, not the page.
    if (relative !== '' && relative !== 'index.html') return undefined;
    path = join(root, 'index.html');
    if (!isFile(path)) return undefined;
  }
  const mediaType = RENDERER_MEDIA_TYPES[extname(path).toLowerCase()];
  return mediaType ? { path, mediaType } : undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
