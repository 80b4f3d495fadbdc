// The Electron security checklist, in one place: a privileged app:// origin
// for the app's own files, every permission denied, no navigation away, no
// new windows, no webviews, no network from the renderer, and IPC accepted
// only from the app's own main frame.
import { protocol, type Session, type WebContents, type WebFrameMain } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'helio';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Must run before `app` is ready: app:// behaves like https (secure context, same-origin rules). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** True for URLs of the app's own origin. (Node's URL gives custom schemes the origin "null", so compare the parts.) */
export function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

/** IPC is answered only for the app's main frame showing the app's own page. */
export function isTrustedSender(frame: WebFrameMain | null, contents: WebContents): boolean {
  return frame !== null && frame === contents.mainFrame && isAppUrl(frame.url);
}

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  // The renderer needs no network: it reaches the main process over IPC. The sync client runs in main, not here.
  session.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (_details, callback) =>
    callback({ cancel: true }),
  );
  // Only the renderer's own files (a document saved from memory, as a blob: URL of the app) may be downloaded; Electron asks where.
  session.on('will-download', (event, item) => {
    if (!item.getURL().startsWith(`blob:${APP_SCHEME}://${APP_HOST}/`)) event.preventDefault();
  });
}

export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
