import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

// The renderer: a static bundle loaded from app://helio (Electron) or the web host.
export default defineConfig({
  root: resolve(here, 'src/renderer'),
  base: './',
  plugins: [react()],
  build: {
    outDir: resolve(here, 'dist/renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    // The CSP allows no inline script, so nothing may be inlined as a data: URL script either.
    assetsInlineLimit: 0,
  },
});
