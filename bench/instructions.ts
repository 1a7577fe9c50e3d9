// Instructions per request: the production build under valgrind's callgrind,
// which counts the instructions the server process executes (all its threads:
// the JIT and the garbage collector too). Unlike req/s or CPU time, the count
// barely moves with the other work on the machine, so it decides A/B
// comparisons of the per-request cost on a shared machine.
//
//   DATABASE_URL=postgres://... node bench/instructions.ts [options] [NAME=VALUE ...]
//     --target FILE        a harness target file (default bench/target.env): its
//                          TARGET_ENV and TARGET_HEADERS_CMD are used as the harness uses them
//     --scenarios LIST     default live,get,list,create (the harness's requests)
//     --requests N         measured requests per scenario (default 2000)
//     --warmup N           requests before each measurement (default 3000)
//     --connections N      concurrent keep-alive connections (default 8)
//     --dist DIR           the build to run (default dist; A/B: a copy of another build)
//     --keep               keep callgrind's dumps (for callgrind_annotate)
//   NAME=VALUE arguments are added to the server's environment (e.g. OTEL_...).
//
// Per scenario: the counters are zeroed after the warm-up and dumped after the
// measured requests (callgrind_control), so start-up is not in the figure.
// Needs a built dist/ (npm run build) and the migrations applied by it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    target: { type: 'string', default: 'bench/target.env' },
    dist: { type: 'string', default: 'dist' },
    scenarios: { type: 'string', default: 'live,get,list,create' },
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '8' },
    keep: { type: 'boolean', default: false },
  },
});
if (!process.env.DATABASE_URL) {
  console.error('bench/instructions: set DATABASE_URL to a database of your own');
  process.exit(2);
}

// The target's environment and headers, read by bash as the harness reads them.
const sourced = (script: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync('bash', ['-c', `source "${values.target}"; ${script}`], { env, encoding: 'utf8' });
// biome-ignore lint/suspicious/noTemplateCurlyInString: bash expands it
const targetEnv = sourced('printf "%s\\n" "${TARGET_ENV[@]}"').split('\n').filter(Boolean);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  BENCH_NODE: process.execPath,
  // Load shedding off: under valgrind the loop runs 20 to 50 times slower,
  // and a sample interval without a single timer tick reads as an infinite
  // delay. What it costs a request is a few comparisons in one hook.
  SHED_EVENT_LOOP_DELAY_MS: '0',
};
for (const pair of [...targetEnv, ...positionals]) {
  const at = pair.indexOf('=');
  env[pair.slice(0, at)] = pair.slice(at + 1);
}
execFileSync(process.execPath, [join(values.dist, 'migrate.js')], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const headers: Record<string, string> = {};
for (const line of sourced('eval "$TARGET_HEADERS_CMD"', env).split('\n')) {
  const m = /^([\w-]+): (.+)$/.exec(line);
  if (m?.[1] && m[2]) headers[m[1].toLowerCase()] = m[2];
}

const port = 18_000 + (process.pid % 1000);
const dir = mkdtempSync(join(tmpdir(), 'callgrind-'));
const server = spawn(
  'valgrind',
  [
    '--tool=callgrind',
    // V8 rewrites the code it generated; valgrind must notice.
    '--smc-check=all-non-file',
    `--callgrind-out-file=${join(dir, 'out')}`,
    process.execPath,
    join(values.dist, 'server.js'),
  ],
  { env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'] },
);
let stderr = '';
server.stderr.on('data', (d) => {
  stderr += d;
});

const agent = new Agent({ keepAlive: true, maxSockets: Number(values.connections) });
const POST_BODY = JSON.stringify({
  name: 'Bench item',
  description: 'Created by wrk',
  price: 19.99,
  is_available: true,
  metadata: { source: 'wrk', tags: ['bench', 'load'] },
});

function send(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          data += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function load(n: number, method: string, path: string, body?: string) {
  let left = n;
  const worker = async () => {
    while (left-- > 0) {
      const res = await send(method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: Number(values.connections) }, worker));
}

const control = (flag: string) =>
  execFileSync('callgrind_control', [flag, String(server.pid)], { stdio: 'ignore' });

try {
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error(`the server exited:\n${stderr}`);
    if (i > 600) throw new Error('the server did not become ready in 120 s');
    const ok = await send('GET', '/ready').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seeded = await send('POST', '/api/v1/items', POST_BODY);
  const id = (JSON.parse(seeded.body) as { id: string }).id;
  await load(100, 'POST', '/api/v1/items', POST_BODY);
  const scenarios: Record<string, [string, string, string?]> = {
    live: ['GET', '/live'],
    get: ['GET', `/api/v1/items/${id}`],
    list: ['GET', '/api/v1/items?limit=20'],
    create: ['POST', '/api/v1/items', POST_BODY],
  };
  const n = Number(values.requests);
  console.log(
    `scenario  instructions/request  (${n} requests after ${values.warmup}, ${values.connections} connections)`,
  );
  for (const name of (values.scenarios as string).split(',')) {
    const s = scenarios[name];
    if (!s) throw new Error(`unknown scenario ${name}`);
    await load(Number(values.warmup), ...s);
    control('--zero');
    await load(n, ...s);
    control('--dump');
    const dumps = execFileSync('ls', ['-t', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const text = readFileSync(join(dir, dumps[0] as string), 'utf8');
    const total = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1]);
    console.log(
      `${name.padEnd(8)}  ${Math.round(total / n)
        .toLocaleString('en')
        .padStart(20)}`,
    );
  }
} finally {
  agent.destroy();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  if (values.keep) console.log(`callgrind dumps: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
