// Runs inside the image (node -e, as root), with the image's own node: lists
// its files so that the test can look for what must not ship and count what
// does. Prints one JSON object.
const fs = require('node:fs');
const path = require('node:path');
// Mounted by the engine at run time: not part of the image.
const mounted = new Set([
  '/proc',
  '/sys',
  '/dev',
  '/run/secrets',
  '/run/.containerenv',
  '/.dockerenv',
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
]);
const out = { files: 0, symlinks: 0, app: [] };
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (mounted.has(p)) continue;
    if (p.startsWith('/app/')) out.app.push(p);
    if (e.isSymbolicLink()) out.symlinks++;
    else if (e.isDirectory()) walk(p);
    else if (e.isFile()) out.files++;
  }
})('/');
// Packages as package-lock.json names them (node_modules/a/node_modules/b):
// those installed under /app, and those the bundle inlined, which its source
// maps list as input files.
const chain = /((?:node_modules\/(?:@[\w.-]+\/)?[\w.-]+\/)+)/;
const packages = (paths) => [
  ...new Set(paths.flatMap((p) => chain.exec(`${p}/`)?.[1].slice(0, -1) ?? [])),
];
out.installed = packages(out.app);
out.bundled = packages(
  out.app
    .filter((p) => /^\/app\/dist\/[^/]+\.js\.map$/.test(p))
    .flatMap((p) => JSON.parse(fs.readFileSync(p, 'utf8')).sources),
);
process.stdout.write(JSON.stringify(out));
