// The Electron main process: one instance, one window, the local database
// and core in-process, the renderer served from app://helio.
import { join } from 'node:path';
import { DataDirLockedError } from '@helio/db/data-dir-lock';
import { app, dialog, powerMonitor, safeStorage, session, type BrowserWindow } from 'electron';
import { serveRenderer } from './app-protocol.js';
import { loadDesktopConfig } from './config.js';
import { registerBridge } from './ipc.js';
import { refreshTokenVault } from './refresh-token-vault.js';
import { createDesktopContext, desktopRouter } from './router.js';
import { hardenSession, hardenWebContents, registerAppScheme } from './security.js';
import { openDesktopServices, type DesktopServices } from './services.js';
import { createMainWindow } from './windows.js';

// Built layout: dist/main/index.js, dist/preload/index.cjs, dist/renderer/.
const distDir = join(import.meta.dirname, '..');

let services: DesktopServices | undefined;
let mainWindow: BrowserWindow | undefined;

registerAppScheme();
app.enableSandbox();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

async function start(): Promise<void> {
  const config = loadDesktopConfig();
  hardenSession(session.defaultSession);
  try {
    const dataDir = config.dataDir ?? join(app.getPath('userData'), 'data');
    // The refresh token is encrypted with the OS keychain; without one, the user signs in at each start.
    services = await openDesktopServices({ dataDir, vault: refreshTokenVault(safeStorage, join(dataDir, 'refresh-token.bin')) });
  } catch (err) {
    dialog.showErrorBox(
      err instanceof DataDirLockedError ? 'Helio is already open' : 'Helio could not open its data',
      err instanceof Error ? err.message : String(err),
    );
    app.exit(1);
    return;
  }
  const opened = services;
  registerBridge(desktopRouter, () => createDesktopContext(opened));
  // Waking from sleep or unlocking: sockets may be dead and the server may have news.
  powerMonitor.on('resume', () => opened.sync.syncNow());
  powerMonitor.on('unlock-screen', () => opened.sync.syncNow());
  serveRenderer(session.defaultSession, join(distDir, 'renderer'));
  showWindow();
}

function showWindow(): void {
  if (mainWindow && !mainWindow.isDestroyed()) {
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
    return;
  }
  mainWindow = createMainWindow(join(distDir, 'preload', 'index.cjs'));
}

if (!app.requestSingleInstanceLock()) {
  // Another Helio has this profile (and its database): it gets focus through 'second-instance'.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (services) showWindow();
  });
  app.on('activate', () => {
    if (services) showWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', (event) => {
    const open = services;
    if (!open) return;
    // Close the database cleanly before exiting, then quit for real.
    event.preventDefault();
    services = undefined;
    void open.close().finally(() => app.quit());
  });
  app.whenReady().then(start, (err: unknown) => {
    dialog.showErrorBox('Helio could not start', String(err));
    app.exit(1);
  });
}
