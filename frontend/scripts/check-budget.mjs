// Prints the size of what the browser loads first (the entry chunk and its static imports,
// gzipped) and fails the build when it is over budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = Number(process.env.ENTRY_BUDGET_KB ?? 200);
const dist = new URL('../dist/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));

const entry = Object.entries(manifest).find(([, chunk]) => chunk.isEntry);
if (!entry) throw new Error('No entry chunk in dist/.vite/manifest.json');

const seen = new Set();
const css = new Set();
(function walk(key) {
  if (seen.has(key)) return;
  seen.add(key);
  const chunk = manifest[key];
  for (const file of chunk.css ?? []) css.add(file);
  for (const next of chunk.imports ?? []) walk(next);
})(entry[0]);

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (bytes) => (bytes / 1024).toFixed(1);

let js = 0;
console.log('\nEntry JavaScript (loaded on first visit):');
for (const key of seen) {
  const size = gz(manifest[key].file);
  js += size;
  console.log(`  ${manifest[key].file.padEnd(40)} ${kb(size).padStart(7)} KB gzipped`);
}
const cssSize = [...css].reduce((sum, file) => sum + gz(file), 0);
const lazy = Object.values(manifest).filter((c) => c.isDynamicEntry).map((c) => `${c.file} ${kb(gz(c.file))} KB`);
console.log(`  total entry JS: ${kb(js)} KB gzipped (budget ${BUDGET_KB} KB); CSS: ${kb(cssSize)} KB gzipped`);
console.log(`  loaded on demand: ${lazy.join(', ') || 'none'}`);
if (js > BUDGET_KB * 1024) {
  console.error(`BUDGET EXCEEDED: entry JS is ${kb(js)} KB gzipped, over ${BUDGET_KB} KB.`);
  process.exit(1);
}
console.log(`BUDGET OK: entry JS ${kb(js)} KB <= ${BUDGET_KB} KB gzipped.\n`);
