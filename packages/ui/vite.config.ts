import { defineConfig } from 'vite';

// Preact through esbuild's automatic JSX runtime: no framework plugin needed (tsconfig sets jsxImportSource).
export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: {
    // `npm run dev -w @sieve/ui` against a running `sieve serve` on the default port.
    proxy: { '/api': process.env.SIEVE_URL ?? 'http://127.0.0.1:4318' },
  },
});
