import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The web UI's build: ui/ into dist/ui/, which `ciclo server` serves at `/` (src/server/web-ui.ts). JSX is
 * compiled by Vite's own esbuild (no React plugin: Fast Refresh is a dev-server nicety this build does not need).
 * Each page is its own chunk (React.lazy in routes.tsx), so the first page loads only what it shows.
 */
export default defineConfig({
  root: here,
  base: '/',
  publicDir: 'public',
  esbuild: { jsx: 'automatic' },
  // React's production build whatever NODE_ENV the caller has (Vitest sets `test`, which would bundle React's
  // development build: bigger, slower, and warning in the console). The JSX transform is chosen by NODE_ENV
  // itself, before this file is read (`test` would call jsxDEV, which React's production build lacks), so
  // package.json's build:ui sets NODE_ENV=production for the process.
  mode: 'production',
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    reportCompressedSize: false,
    // Source maps are not shipped: the built files are the package's, readable enough minified for a bug report.
    sourcemap: false,
    rollupOptions: {
      // react-router marks its modules "use client" for React Server Components, which a browser bundle has none of.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  logLevel: 'warn',
});
