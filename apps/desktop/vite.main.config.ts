import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

// The Electron main process, bundled with core and db (workspace TypeScript)
// into one ES module. Electron is provided at run time, and PGlite loads its
// WebAssembly from its own package, so both stay outside the bundle.
export default defineConfig({
  build: {
    ssr: resolve(here, 'src/main/index.ts'),
    outDir: resolve(here, 'dist/main'),
    emptyOutDir: true,
    target: 'node22',
    rolldownOptions: { output: { format: 'es', entryFileNames: 'index.js' } },
  },
  ssr: { noExternal: true, external: ['electron', '@electric-sql/pglite'] },
});
