#!/usr/bin/env node
// Fails when the folders of src/ import each other in a loop (access → policy → access, ...).
// Each top-level folder of src/ is one node (platform/ as a whole); files directly in src/ are
// "app". Type-only imports count: a loop of types is still a loop of concepts. Run by
// `npm run lint` (and so by CI). Plain JavaScript: it reads sources, nothing compiled.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function folderOf(file) {
  const parts = relative(src, file).split(sep);
  return parts.length === 1 ? 'app' : parts[0];
}

const edges = new Map(); // folder -> Map(folder -> example "a.ts → b.ts")
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const from = folderOf(file);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), (match[1] ?? match[2]).replace(/\.js$/, '.ts'));
    if (!target.startsWith(src + sep)) continue;
    const to = folderOf(target);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const out = edges.get(from);
    if (!out.has(to)) out.set(to, `${relative(src, file)} → ${relative(src, target)}`);
  }
}

// Tarjan's strongly connected components: any component of two or more folders is a loop.
let index = 0;
const stack = [];
const state = new Map();
const loops = [];
function visit(node) {
  state.set(node, { index, low: index, onStack: true });
  index++;
  stack.push(node);
  for (const next of edges.get(node)?.keys() ?? []) {
    if (!state.has(next)) {
      visit(next);
      state.get(node).low = Math.min(state.get(node).low, state.get(next).low);
    } else if (state.get(next).onStack) {
      state.get(node).low = Math.min(state.get(node).low, state.get(next).index);
    }
  }
  if (state.get(node).low === state.get(node).index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
    } while (member !== node);
    if (component.length > 1) loops.push(component);
  }
}
const folders = new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
for (const folder of [...folders].sort()) if (!state.has(folder)) visit(folder);

if (loops.length === 0) {
  process.stdout.write(`architecture: ${folders.size} folders of src/, no import loops\n`);
  process.exit(0);
}
for (const component of loops) {
  const members = new Set(component);
  process.stderr.write(
    `architecture: these folders import each other in a loop: ${[...members].sort().join(', ')}\n`,
  );
  for (const from of [...members].sort()) {
    for (const [to, example] of edges.get(from) ?? []) {
      if (members.has(to)) process.stderr.write(`  ${from} → ${to}  (e.g. ${example})\n`);
    }
  }
}
process.exit(1);
