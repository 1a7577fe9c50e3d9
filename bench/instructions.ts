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
//     --requests N         requests per measured window (default 2000)
//     --windows K          measured windows per scenario, the median kept (default 3):
//                          an optimisation landing in a window moves it by 20 %,
//                          a major collection doubles it
//     --warmup N           requests before each measurement (default 3000)
//     --connections N      concurrent keep-alive connections (default 8)
//     --dist DIR           the build to run (default dist; A/B: a copy of another build)
//     --startup N          instead: the instructions of N starts, each from spawn to
//                          the first 200 on /live (the cold start's work)
//     --keep               keep callgrind's dumps (for callgrind_annotate)
//   NAME=VALUE arguments are added to the server's environment (e.g. OTEL_...).
//
// Per scenario: the counters are zeroed after the warm-up and dumped after the
// measured requests (callgrind_control), so start-up is not in the figure.
// Needs a built dist/ (npm run build) and the migrations applied by it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    windows: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '8' },
    startup: { type: 'string' },
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
const serverEnv = { ...env, PORT: String(port), HOST: '127.0.0.1' };
const dir = mkdtempSync(join(tmpdir(), 'callgrind-'));
let server!: ReturnType<typeof spawn>;
let stderr = '';
let dumps = 0;
function start(run: number | string) {
  dumps = 0;
  stderr = '';
  server = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      // V8 rewrites the code it generated; valgrind must notice.
      '--smc-check=all-non-file',
      `--callgrind-out-file=${join(dir, `out-${run}`)}`,
      process.execPath,
      join(values.dist, 'server.js'),
    ],
    { env: serverEnv, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  server.stderr?.on('data', (d) => {
    stderr += d;
  });
}
async function stop() {
  server.kill('SIGTERM');
  if (server.exitCode === null) await new Promise((r) => server.once('exit', r));
}
async function until(path: string, everyMs: number) {
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error(`the server exited:\n${stderr}`);
    if (i * everyMs > 120_000) throw new Error(`${path} did not answer 200 in 120 s`);
    const ok = await send('GET', path).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

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

/** The instruction count of a dump, once callgrind has finished writing it. */
async function dumped(file: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    // The summary line comes first, the totals line last: the file is complete.
    const total = /^summary: (\d+)/m.exec(text)?.[1];
    if (total && /^totals: /m.test(text)) return Number(total);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`callgrind wrote no ${file}`);
}

const control = (flag: string) =>
  // In the server's environment: valgrind names its command pipe after USER and HOST.
  execFileSync('callgrind_control', [flag, String(server.pid)], {
    env: serverEnv,
    stdio: 'ignore',
  });
const count = (n: number) => Math.round(n).toLocaleString('en').padStart(20);

async function startup(runs: number) {
  const all: number[] = [];
  // Start 0 is not counted: it fills the compile cache where the build's own
  // cache does not apply (a build copied elsewhere), as the image build does.
  for (let run = 0; run <= runs; run++) {
    start(run);
    try {
      await until('/live', 20);
      control('--dump');
      const total = await dumped(join(dir, `out-${run}.1`));
      if (run > 0) all.push(total);
    } finally {
      await stop();
    }
  }
  const sorted = [...all].sort((a, b) => a - b);
  console.log(`start-up to the first 200 on /live: instructions, median of ${runs}`);
  console.log(
    `${count(sorted[Math.floor((runs - 1) / 2)] as number)}  (${all
      .map(count)
      .map((c) => c.trim())
      .join(', ')})`,
  );
}

try {
  if (values.startup) {
    await startup(Number(values.startup));
  } else {
    start('measure');
    await until('/ready', 200);
    await measure();
    await stop();
  }
} finally {
  agent.destroy();
  if (server.exitCode === null) await stop();
  if (values.keep) console.log(`callgrind dumps: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

async function measure() {
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
  const windows = Number(values.windows);
  console.log(
    `scenario  instructions/request: median of ${windows} windows of ${n} requests (each window)  [after ${values.warmup}, ${values.connections} connections]`,
  );
  for (const name of (values.scenarios as string).split(',')) {
    const s = scenarios[name];
    if (!s) throw new Error(`unknown scenario ${name}`);
    await load(Number(values.warmup), ...s);
    const each: number[] = [];
    for (let w = 0; w < windows; w++) {
      control('--zero');
      await load(n, ...s);
      control('--dump');
      each.push((await dumped(join(dir, `out-measure.${++dumps}`))) / n);
    }
    const median = [...each].sort((a, b) => a - b)[Math.floor((windows - 1) / 2)] as number;
    console.log(
      `${name.padEnd(8)}  ${count(median)}  (${each.map((x) => count(x).trim()).join(', ')})`,
    );
  }
}
