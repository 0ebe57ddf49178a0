// The web console: built by `npm run build` into dist/console/, served by the API server
// (server/console.ts) at `/`. Assets go under /assets/ with content hashes.
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    // ECharts is its own chunk, loaded when a chart is first drawn
    chunkSizeWarningLimit: 600,
  },
});
