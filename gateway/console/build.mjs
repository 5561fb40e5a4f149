// Builds the web console into dist/console: one script and one style sheet bundled by esbuild from
// main.tsx, and index.html. Everything the page loads is in that folder: no CDN, works offline.
// Run by `npm run build` after tsc has checked the code (tsconfig.json beside this file).
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'dist', 'console');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: { console: join(here, 'main.tsx') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  // Nothing of Node may reach the bundle (the shared gateway modules it imports are pure).
  define: { 'process.env.NODE_ENV': '"production"' },
});
await copyFile(join(here, 'index.html'), join(out, 'index.html'));
const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map') && !file.endsWith('.txt'))
  .map(([file, o]) => `${file.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KiB`);
console.log(`console: dist/console (${sizes.join(', ')})`);
