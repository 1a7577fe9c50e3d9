// The VM's runtime (deploy/vm/cloud-init.yaml) run here: the agent script,
// the Caddyfile and the Ops Agent config taken from the cloud-init file as it
// ships; the real image built from the Dockerfile and run by podman; the real
// Caddy with its local CA for runway.localhost; the metadata server
// (test/vm/metadata.ts) and Secret Manager (test/standin/) as local stand-ins.
// There is no systemd here, so the agent runs as its unit runs it, and Caddy
// as caddy.service does: with the environment file the agent writes. What
// stays untested: the units themselves, the package installs, the Ops Agent.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { throwawayDatabase } from '../container/database.ts';
import { type Engine, pickEngine, repoRoot } from '../container/engine.ts';
import { buildImage } from '../container/image.ts';
import { freePort } from '../helpers/process.ts';
import { secretmanager } from '../standin/secretmanager.ts';
import { startStandin } from '../standin/server.ts';
import { startMetadata } from './metadata.ts';

const execFileP = promisify(execFile);
// Root's podman runs the image that buildImage built into its storage, and Caddy
// binds as on the VM; GitHub's runner builds with Docker as a user, so there
// .ci/run (as root, with ../shared/tools) is where this file runs.
const SKIP = process.getuid?.() === 0 ? false : 'needs root: podman with the image built here';
const TAG = 'runway:vm-test';
const DOMAIN = 'runway.localhost'; // Caddy issues names like this from its local CA
const SECRET = 'runway-database-url';
const cloudInit = parse(readFileSync(path.join(repoRoot, 'deploy/vm/cloud-init.yaml'), 'utf8'));
const shipped = (file: string): string =>
  cloudInit.write_files.find((f: { path: string }) => f.path === file).content;

const dir = mkdtempSync(path.join(tmpdir(), 'runway-vm-'));
const at = (p: string) => path.join(dir, p);
let engine: Engine;
let image: string;
let database: Awaited<ReturnType<typeof throwawayDatabase>>;
let standin: Awaited<ReturnType<typeof startStandin>>;
let metadata: Awaited<ReturnType<typeof startMetadata>>;
let caddy: ChildProcess;
let follower: ChildProcess | undefined;
let env: Record<string, string>;
let https: number;
let port0: number;
let baseEnv: string;

const podman = async (...args: string[]) =>
  (await execFileP('podman', args, { env, timeout: 60_000 })).stdout.trim();
const agent = (...args: string[]) =>
  execFileP('bash', [at('runway-agent'), ...args], { env, timeout: 240_000 });
const pidOf = async (name: string) =>
  Number(await podman('inspect', '--format', '{{.State.Pid}}', name));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined && got !== false) return got;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${ms / 1000} s`);
}

/** HTTPS to Caddy as a client at `address` would send it, verified against Caddy's local CA. */
function https_(method: string, p: string, { address = '127.0.0.1', body = '' } = {}) {
  const ca = readFileSync(at('caddy-data/caddy/pki/authorities/local/root.crt'));
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: address, port: https, servername: DOMAIN, ca, method, path: p, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.setHeader('host', `${DOMAIN}:${https}`);
    req.setHeader('content-type', 'application/json');
    req.on('error', reject);
    req.end(body);
  });
}

before(async () => {
  if (SKIP) return;
  engine = await pickEngine();
  await buildImage(engine, TAG);
  // podman as ../shared/tools/container.sh runs it on machines like this one.
  writeFileSync(
    at('containers.conf'),
    '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n',
  );
  writeFileSync(
    at('storage.conf'),
    '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n',
  );
  writeFileSync(at('runway-agent'), shipped('/usr/local/bin/runway-agent'));
  writeFileSync(at('Caddyfile'), shipped('/etc/caddy/Caddyfile'));
  database = await throwawayDatabase();
  standin = await startStandin([secretmanager]);
  standin.state.enabled = ['secretmanager.googleapis.com'];
  const data = Buffer.from(database.url).toString('base64');
  standin.state.secrets[SECRET] = {
    name: SECRET,
    versions: [{ name: '1', state: 'ENABLED', data }],
  };
  metadata = await startMetadata('vm-project');
  [https, port0] = [await freePort(), await freePort()];
  env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    CONTAINERS_CONF: at('containers.conf'),
    CONTAINERS_STORAGE_CONF: at('storage.conf'),
    GCE_METADATA_HOST: metadata.host,
    // Secret Manager through the stand-in's proxy, as gcloud reaches it in test/ops.
    SECRET_MANAGER_URL: 'http://secretmanager.standin',
    http_proxy: `http://127.0.0.1:${standin.port}`,
    no_proxy: '127.0.0.1,localhost',
    RUNWAY_STATE_DIR: at('state'),
    RUNWAY_RUN_DIR: at('run'),
    RUNWAY_LOG_DIR: at('log'),
    RUNWAY_CADDYFILE: at('Caddyfile'),
    RUNWAY_PROCS: '2',
    RUNWAY_PORT: String(port0),
    RUNWAY_CADDY_ADMIN: `127.0.0.1:${await freePort()}`,
    RUNWAY_HTTP_PORT: String(await freePort()),
    RUNWAY_HTTPS_PORT: String(https),
    XDG_DATA_HOME: at('caddy-data'),
    XDG_CONFIG_HOME: at('caddy-config'),
  };
  image = `localhost/runway@${await podman('image', 'inspect', '--format', '{{.Digest}}', TAG)}`;
  baseEnv = 'ENVIRONMENT=production\nAUTH_DISABLED=true\nDB_POOL_SIZE=3';
  metadata.set('runway-image', image);
  metadata.set('runway-domain', DOMAIN);
  metadata.set('runway-env', baseEnv);
  metadata.set('runway-secrets', `DATABASE_URL=${SECRET}`);
  caddy = spawn('caddy', ['run', '--config', at('Caddyfile'), '--adapter', 'caddyfile'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await until('Caddy admin API', 10_000, () =>
    fetch(`http://${env.RUNWAY_CADDY_ADMIN}/config/`).then((r) => r.ok),
  );
});

after(async () => {
  if (SKIP) return;
  follower?.kill();
  caddy?.kill();
  if (env) {
    const names = await podman(
      'ps',
      '-a',
      '--format',
      '{{.Names}}',
      '--filter',
      'name=^runway-[ab]-',
    );
    if (names) await podman('rm', '-f', '--time', '1', ...names.split('\n'));
  }
  await database?.drop();
  await standin?.close();
  await metadata?.close();
  await engine?.attempt(['rmi', TAG]);
  rmSync(dir, { recursive: true, force: true });
});

describe('the VM', { skip: SKIP }, () => {
  test('cloud-init.yaml passes `cloud-init schema`', async () => {
    const file = path.join(repoRoot, 'deploy/vm/cloud-init.yaml');
    const { stdout } = await execFileP('cloud-init', ['schema', '--config-file', file]);
    assert.match(stdout, /^Valid cloud-config/m);
  });

  test('boots: migrates, starts a process per vCPU behind Caddy over HTTPS, reports ready', async () => {
    await agent('once');
    assert.deepEqual(metadata.guest, { 'runway/image': image, 'runway/state': 'ready' });
    // Caddy gets its certificate in the background after the switch (here from its local CA).
    await until("HTTPS /ready 200, verified against Caddy's CA", 30_000, async () =>
      (await https_('GET', '/ready')).status === 200 ? true : undefined,
    );
    // The migration ran: the table the API reads exists.
    assert.equal((await https_('GET', '/api/v1/items/stats/count')).text, '{"count":0}');
    assert.match(
      readFileSync(at('run/env'), 'utf8'),
      new RegExp(`^DATABASE_URL=${database.url}$`, 'm'),
    );
  });

  test('a second boot changes nothing', async () => {
    const snapshot = async () => ({
      containers: await podman(
        'ps',
        '--format',
        '{{.ID}} {{.Names}} {{.StartedAt}}',
        '--filter',
        'name=^runway-',
      ),
      caddy: readFileSync(at('state/caddy.env'), 'utf8'),
    });
    const first = await snapshot();
    await agent('once');
    assert.deepEqual(await snapshot(), first);
    assert.equal(metadata.guest['runway/state'], 'ready');
  });

  test('stops as the unit stops it, and a reboot starts the same containers again', async () => {
    const ids = await podman('ps', '--format', '{{.ID}}', '--filter', 'name=^runway-a-');
    await agent('stop');
    const exits = await podman(
      'ps',
      '-a',
      '--format',
      '{{.ExitCode}} {{.Status}}',
      '--filter',
      'name=^runway-a-',
    );
    assert.match(exits, /^0 Exited/);
    assert.deepEqual(
      exits.split('\n').map((l) => l.split(' ')[0]),
      ['0', '0'],
    );
    rmSync(at('run'), { recursive: true }); // /run is a tmpfs
    await agent('once');
    assert.equal(await podman('ps', '--format', '{{.ID}}', '--filter', 'name=^runway-a-'), ids);
    await until('HTTPS /ready 200 again', 30_000, async () =>
      (await https_('GET', '/ready')).status === 200 ? true : undefined,
    );
  });

  test('both processes serve, see the client address, and log lines the Ops Agent config parses', async () => {
    const client = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
    assert.ok(client, 'no non-loopback IPv4 address to send from');
    for (let i = 0; i < 20; i++)
      assert.equal((await https_('GET', '/health', { address: client })).status, 200);
    const ops = parse(readFileSync(path.join(repoRoot, 'deploy/vm/cloud-init.yaml'), 'utf8'));
    const regex = parse(
      ops.write_files.find((f: { path: string }) => f.path.endsWith('ops-agent.yaml')).content,
    ).logging.processors.podman.regex as string;
    for (const name of ['runway-a-0', 'runway-a-1']) {
      const lines = readFileSync(at(`log/${name}.log`), 'utf8')
        .trim()
        .split('\n');
      const entries = lines.map((l) => {
        const m = new RegExp(regex).exec(l);
        assert.ok(m?.groups?.message, `the Ops Agent's regex does not match: ${l}`);
        return JSON.parse(m.groups.message);
      });
      const served = entries.filter((e) => e.httpRequest?.requestUrl === '/health');
      assert.ok(served.length > 0, `${name} served none of 20 requests`);
      assert.equal(served[0].severity, 'INFO');
      assert.equal(
        served[0].httpRequest.remoteIp,
        client,
        'X-Forwarded-For did not carry the client',
      );
    }
  });

  test('a killed process is back within 15 s, and Caddy sends its requests to the other', async () => {
    const t0 = Date.now();
    process.kill(await pidOf('runway-a-0'), 'SIGKILL');
    const answers: number[] = [];
    await until('runway-a-0 back', 15_000, async () => {
      answers.push((await https_('GET', '/health')).status);
      return (await fetch(`http://127.0.0.1:${port0}/live`)).ok;
    });
    assert.ok(answers.length > 0 && answers.every((s) => s === 200), answers.join(' '));
    console.log(`# runway-a-0 back ${Date.now() - t0} ms after SIGKILL`);
  });

  test('a new runway-env rolls over: requests in flight finish, no request fails', async (t) => {
    follower = spawn('bash', [at('runway-agent')], { env, stdio: 'ignore' });
    const held = await heldHttps('{"name":"in flight","price":1}');
    let stop = false;
    const clients = Promise.all(
      [1, 2, 3].map(async () => {
        const seen: (number | string)[] = [];
        while (!stop) {
          // Caddy 2.6's reload can reset a connection being opened at that
          // instant (docs/compute-engine.md): counted, not a failed request.
          const got = await https_('GET', '/api/v1/items?limit=5').then(
            (r) => r.status,
            (err: NodeJS.ErrnoException) =>
              err.code === 'ECONNRESET' ? 'reset' : Promise.reject(err),
          );
          seen.push(got);
        }
        return seen;
      }),
    );
    metadata.set('runway-env', `${baseEnv}\nAPP_VERSION=9.9.9`);
    await until('Caddy switched to slot b', 120_000, async () =>
      readFileSync(at('state/caddy.env'), 'utf8').includes(`:${port0 + 100} `),
    );
    held.finish();
    assert.equal(await held.status, 201);
    await until(
      'slot a stopped',
      30_000,
      async () =>
        (await podman('ps', '-a', '--format', '{{.Names}}', '--filter', 'name=^runway-a-')) === '',
    );
    stop = true;
    const seen = (await clients).flat();
    const resets = seen.filter((s) => s === 'reset').length;
    t.diagnostic(`${seen.length} requests during the rollout, ${resets} connection(s) reset`);
    assert.deepEqual(
      seen.filter((s) => s !== 200 && s !== 'reset'),
      [],
    );
    assert.match((await https_('GET', '/health')).text, /"version":"9\.9\.9"/);
    await until('ready reported', 10_000, async () => metadata.guest['runway/state'] === 'ready');
  });

  test('a process that stops answering /live is restarted by the agent', async () => {
    const pid = await pidOf('runway-b-1');
    process.kill(pid, 'SIGSTOP');
    const t0 = Date.now();
    await until('runway-b-1 restarted', 60_000, async () => (await pidOf('runway-b-1')) !== pid);
    await until(
      'runway-b-1 live',
      15_000,
      async () => (await fetch(`http://127.0.0.1:${port0 + 101}/live`)).ok,
    );
    console.log(`# runway-b-1 restarted ${Date.now() - t0} ms after it stopped answering`);
  });

  test('an image not by digest is refused, and the version serving stays', async () => {
    metadata.set('runway-image', TAG);
    const state = await until('failed state', 30_000, async () =>
      metadata.guest['runway/state']?.startsWith('failed')
        ? metadata.guest['runway/state']
        : undefined,
    );
    assert.equal(state, `failed: runway-image is not by digest: ${TAG}`);
    assert.equal(metadata.guest['runway/image'], image);
    assert.equal((await https_('GET', '/ready')).status, 200);
    metadata.set('runway-image', image);
    await until('ready again', 30_000, async () => metadata.guest['runway/state'] === 'ready');
  });
});

/** A POST through Caddy whose body is held back until finish(): in flight at the app. */
async function heldHttps(body: string) {
  const ca = readFileSync(at('caddy-data/caddy/pki/authorities/local/root.crt'));
  const bytes = Buffer.from(body);
  let resolve: (s: number) => void = () => {};
  const status = new Promise<number>((r) => (resolve = r));
  const req = request({
    host: '127.0.0.1',
    port: https,
    servername: DOMAIN,
    ca,
    method: 'POST',
    path: '/api/v1/items',
    agent: false,
    headers: {
      host: `${DOMAIN}:${https}`,
      'content-type': 'application/json',
      'content-length': bytes.length,
    },
  });
  req.on('response', (res) => {
    res.resume();
    resolve(res.statusCode ?? 0);
  });
  req.write(bytes.subarray(0, 5));
  await sleep(300); // Caddy has passed the headers and the first bytes to the app
  return { status, finish: () => req.end(bytes.subarray(5)) };
}
