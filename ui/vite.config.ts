import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Tauri serves ui/dist from the app bundle; the dev server is only for `tauri dev`.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: 'safari16',
    outDir: 'dist',
    emptyOutDir: true,
    // One CSS file and one script: the strict CSP allows nothing inline.
    assetsInlineLimit: 0,
  },
  test: {
    projects: [
      // Logic and server-rendered components.
      { extends: true, test: { name: 'node', include: ['src/**/*.test.ts'], exclude: ['src/**/*.dom.test.ts'], environment: 'node' } },
      // Components mounted in a DOM (happy-dom) with Svelte's browser build: clicks, effects, IPC.
      {
        extends: true,
        resolve: { conditions: ['browser'] },
        test: { name: 'dom', include: ['src/**/*.dom.test.ts'], environment: 'happy-dom' },
      },
    ],
  },
});
