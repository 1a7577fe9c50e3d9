// Runs INSIDE the image (node -e), as plain JavaScript for the image's own node:
// lists the image's files so the test can count them and look for what must
// not ship. Prints one JSON object on stdout.
const fs = require('node:fs');
const path = require('node:path');
// Mounted by the engine at run time, not part of the image.
const SKIP_DIRS = new Set(['/proc', '/sys', '/dev', '/run/secrets']);
const SKIP_FILES = new Set([
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/run/.containerenv',
  '/.dockerenv',
]);
const out = { files: 0, symlinks: 0, dirs: 0, bytes: 0, unreadable: [], app: [], nodeModules: [] };
function walk(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    out.unreadable.push(dir);
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (SKIP_DIRS.has(p) || SKIP_FILES.has(p)) continue;
    if (p.startsWith('/app/')) out.app.push(p);
    if (e.isSymbolicLink()) out.symlinks++;
    else if (e.isDirectory()) {
      out.dirs++;
      if (e.name === 'node_modules') out.nodeModules.push(p);
      walk(p);
    } else if (e.isFile()) {
      out.files++;
      try {
        out.bytes += fs.lstatSync(p).size;
      } catch {}
    }
  }
}
walk('/');
// Which packages the bundle inlined: the source maps list every input file
// (node_modules/NAME/...); an unminified bundle also carries them as comments.
const bundled = new Set();
// Captured as the whole chain (node_modules/a/node_modules/b), the form of
// package-lock.json's keys, since a nested copy can be dev-only while the
// top-level package of the same name is not.
const pkgRe = /((?:node_modules\/(?:@[\w.-]+\/)?[\w.-]+\/)+)/g;
for (const p of out.app) {
  if (!/^\/app\/dist\/[^/]+\.m?js(\.map)?$/.test(p)) continue;
  const text = fs.readFileSync(p, 'utf8');
  const haystack = p.endsWith('.map') ? (JSON.parse(text).sources || []).join('\n') : text;
  for (const m of haystack.matchAll(pkgRe)) bundled.add(m[1].slice(0, -1));
}
out.bundledPackages = [...bundled].sort();
out.uid = process.getuid();
process.stdout.write(JSON.stringify(out));
