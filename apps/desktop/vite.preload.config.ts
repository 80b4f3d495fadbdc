import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

// The preload script runs sandboxed, where only CommonJS and `require('electron')` work.
export default defineConfig({
  build: {
    ssr: resolve(here, 'src/preload/index.ts'),
    outDir: resolve(here, 'dist/preload'),
    emptyOutDir: true,
    target: 'node22',
    rolldownOptions: { output: { format: 'cjs', entryFileNames: 'index.cjs' } },
  },
  ssr: { noExternal: true, external: ['electron'] },
});
