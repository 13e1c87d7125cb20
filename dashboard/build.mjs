// Builds dist/: src/app.js and its modules bundled and minified into
// assets/app-<hash>.js, src/style.css into assets/app-<hash>.css, the
// favicon into assets/favicon-<hash>.svg, and index.html pointing at them.
// Hashed names never change content, so the orchestrator serves them with a
// year-long cache lifetime; index.html is revalidated on every load.
//
//   node build.mjs           build once (npm run build)
//   node build.mjs --watch   rebuild on change (serve dist/ with --dashboard-dir)
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const dist = join(here, 'dist');
const watch = process.argv.includes('--watch');

const options = {
  entryPoints: { app: join(src, 'app.js'), 'app-style': join(src, 'style.css') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
};

function hashed(name, ext, data) {
  const h = createHash('sha256').update(data).digest('hex').slice(0, 10);
  return `${name}-${h}.${ext}`;
}

function writeIndex(meta) {
  const outs = Object.keys(meta.outputs).map((p) => p.slice(p.lastIndexOf('/') + 1));
  const js = outs.find((n) => /^app-[A-Z0-9]+\.js$/.test(n));
  const css = outs.find((n) => /^app-style-[A-Z0-9]+\.css$/.test(n));
  if (!js || !css) throw new Error(`build: missing outputs in ${outs.join(', ')}`);
  const icon = readFileSync(join(src, 'favicon.svg'));
  const iconName = hashed('favicon', 'svg', icon);
  writeFileSync(join(dist, 'assets', iconName), icon);
  const html = readFileSync(join(src, 'index.html'), 'utf8')
    .replace('%SCRIPT%', `/assets/${js}`)
    .replace('%STYLE%', `/assets/${css}`)
    .replace('%FAVICON%', `/assets/${iconName}`);
  writeFileSync(join(dist, 'index.html'), html);
}

function report(ms) {
  let total = 0;
  let gz = 0;
  const lines = [];
  const walk = (d) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p);
      else {
        const buf = readFileSync(p);
        const z = gzipSync(buf, { level: 9 }).length;
        total += buf.length;
        gz += z;
        lines.push(`  ${p.slice(dist.length + 1).padEnd(36)} ${String(statSync(p).size).padStart(7)} B  (${z} B gzip)`);
      }
    }
  };
  walk(dist);
  console.log(`dashboard: built dist/ in ${ms} ms\n${lines.join('\n')}\n  total ${total} B (${gz} B gzip)`);
}

const t0 = Date.now();
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });
if (watch) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [{
      name: 'index',
      setup(b) {
        b.onStart(() => rmSync(join(dist, 'assets'), { recursive: true, force: true }));
        b.onEnd((r) => {
          if (r.errors.length) return;
          mkdirSync(join(dist, 'assets'), { recursive: true });
          writeIndex(r.metafile);
          console.log(`dashboard: rebuilt ${new Date().toLocaleTimeString()}`);
        });
      },
    }],
  });
  await ctx.watch();
} else {
  const r = await esbuild.build(options);
  writeIndex(r.metafile);
  report(Date.now() - t0);
}
