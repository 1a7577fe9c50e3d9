// doctor: each rule against a copy of the repository's own deploy layout
// (its workflows, service.yaml, Dockerfile, ignore files and bootstrap's plan)
// with a small edit that breaks it, or a step a user added to the deploy
// workflow; the CLI's exit codes. The app's modules doctor imports are small
// stand-ins (test/fixtures/doctor/app/): the real ones import the whole app.
// Live checks: doctor-live.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../ops/cli.ts';
import { PITFALLS } from '../../ops/doctor/pitfalls.ts';
import { judgeImage } from '../../ops/doctor/rules/images.ts';
import { offlineFindings } from '../../ops/doctor/run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI in this process; doctor --offline spawns no gcloud. */
async function runCli(argv: string[], env: Record<string, string>) {
  let stdout = '';
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: () => {},
    env,
    cwd: ROOT,
  });
  return { code, stdout };
}

/** Replaces `from` by `to` in a file of the fixture; `to: null` deletes the file. */
type Edit = [file: string, from: string, to: string | null];

/** The repository's own files that doctor reads, beside the app's stand-in modules. */
const LAYOUT = [
  'Dockerfile',
  '.dockerignore',
  '.gitignore',
  '.github/workflows',
  'deploy/cloudrun',
  'ops/bootstrap/plan.ts',
];
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runway-doctor-'));
  cpSync(join(ROOT, 'test/fixtures/doctor/app'), dir, { recursive: true });
  for (const f of LAYOUT) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  return dir;
}

/** A git work tree holding the repository's layout with the edits applied. */
function fixture(...edits: Edit[]): string {
  const dir = copy();
  for (const [file, from, to] of edits) {
    const path = join(dir, file);
    if (to === null) {
      rmSync(path);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    assert.ok(text.includes(from), `${file} has no "${from}"`);
    writeFileSync(path, text.replace(from, to));
  }
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

const SERVICE = 'deploy/cloudrun/service.yaml';
const WORKFLOW = '.github/workflows/deploy.yml';
const KEY = JSON.stringify({ type: 'service_account', private_key: 'not a real key' });
/** A step a user added to the deploy workflow, before its summary. */
const added = (step: string): Edit => [
  WORKFLOW,
  '      - name: Summary\n',
  `      - name: Added by the user\n${step.replace(/^/gm, '        ')}\n      - name: Summary\n`,
];
const AUTH = 'google-github-actions/auth@71f986410dfbc7added4569d411d040a91dc6935';

describe('doctor rules on the fixture', () => {
  it("finds nothing in the repository's own layout", async () => {
    assert.deepEqual(await offlineFindings(fixture()), []);
  });

  const cases: Array<[pitfall: number, id: string, severity: string, edits: Edit[]]> = [
    [
      3,
      'dockerfile-buildkit-syntax',
      'error',
      [['Dockerfile', 'RUN npm', 'RUN --mount=type=cache,target=/root/.npm npm']],
    ],
    [4, 'port-mismatch', 'error', [[SERVICE, 'containerPort: 8080', 'containerPort: 3000']]],
    [
      4,
      'port-env-reserved',
      'error',
      [[SERVICE, 'env:', 'env:\n            - name: PORT\n              value: "8080"']],
    ],
    // Through the step's env: IMAGE is what `--image "$IMAGE"` deploys.
    [
      5,
      'deploy-latest-tag',
      'error',
      [
        added(
          'env:\n  LATEST: europe-west1-docker.pkg.dev/acme/runway/runway:latest\nrun: gcloud run deploy runway --image "$LATEST" --region europe-west1',
        ),
      ],
    ],
    [
      5,
      'deploy-mutable-tag',
      'warning',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder of service.yaml
      [[SERVICE, 'image: ${IMAGE}', 'image: europe-west1-docker.pkg.dev/acme/runway/runway:v1']],
    ],
    // gcloud's arguments as a bash array over two lines.
    [
      6,
      'migration-not-awaited',
      'error',
      [
        added(
          `run: |\n  args=(run jobs execute runway-migrate\n    --region europe-west1)\n  gcloud "\${args[@]}"`,
        ),
      ],
    ],
    [
      6,
      'deploy-async',
      'error',
      [added('run: gcloud run services update-traffic runway --to-latest --async')],
    ],
    [7, 'probe-limits', 'error', [[SERVICE, 'failureThreshold: 10', 'failureThreshold: 200']]],
    [7, 'startup-probe-needs-database', 'warning', [[SERVICE, 'path: /live', 'path: /ready']]],
    [7, 'probe-budget-unmeasured', 'warning', [['deploy/cloudrun/probe-budget.json', '', null]]],
    [
      8,
      'probe-path-missing',
      'error',
      [
        [
          SERVICE,
          'path: /live\n              port: 8080\n            periodSeconds: 15',
          'path: /healthz\n              port: 8080\n            periodSeconds: 15',
        ],
      ],
    ],
    [9, 'gitignore-key-files', 'error', [['.gitignore', 'gha-creds-*.json\n', '']]],
    // Docker anchors a pattern without **/ at the context root: deploy/x-key.json gets in
    // once deploy/ is no longer left out as a whole.
    [
      9,
      'dockerignore-key-files',
      'error',
      [
        ['.dockerignore', '**/*-key.json', '*-key.json'],
        ['.dockerignore', '\ndeploy\n', '\n'],
      ],
    ],
    [
      9,
      'workflow-key-with-wif',
      'error',
      [added(`uses: ${AUTH}\nwith:\n  credentials_json: \${{ secrets.GCP_SA_KEY }}`)],
    ],
    [10, 'database-connections-exceeded', 'error', [[SERVICE, 'value: "5"', 'value: "6"']]],
    // Without DB_POOL_SIZE the app's default (10) applies.
    [
      10,
      'database-connections-exceeded',
      'error',
      [
        [
          SERVICE,
          '- name: DB_POOL_SIZE\n              value: "5"',
          '- name: OTHER\n              value: "5"',
        ],
      ],
    ],
  ];
  for (const [pitfall, id, severity, edits] of cases) {
    it(`pitfall ${pitfall}: ${id} (${edits.map(([f, from, to]) => (to === null ? `no ${f}` : `${f}: ${from.split('\n')[0]?.trim()}`)).join(', ')})`, async () => {
      const found = await offlineFindings(fixture(...edits));
      assert.deepEqual(
        found.map((f) => [f.pitfall, f.id, f.severity]),
        [[pitfall, id, severity]],
        JSON.stringify(found, null, 2),
      );
      assert.ok(found[0]?.fix.length, 'every finding carries a fix');
      assert.ok(pitfall in PITFALLS, 'the pitfall is described in pitfalls.ts');
    });
  }

  it('names the failureThreshold that covers the measured cold start', async () => {
    // 2,500 ms measured at 2 s per period: 2 failures.
    const [f] = await offlineFindings(
      fixture([SERVICE, 'failureThreshold: 10', 'failureThreshold: 1']),
    );
    assert.equal(f?.id, 'startup-probe-budget');
    assert.match(f?.fix ?? '', /failureThreshold to 2\b/);
  });

  it("reads the Cloud SQL tier that bootstrap creates: db-g1-small's 50 connections fit 4 × 10", async () => {
    const tier: Edit = ['ops/bootstrap/plan.ts', '--tier=db-f1-micro', '--tier=db-g1-small'];
    assert.deepEqual(
      await offlineFindings(fixture(tier, [SERVICE, 'value: "5"', 'value: "10"'])),
      [],
    );
    const [f] = await offlineFindings(fixture(tier, [SERVICE, 'value: "5"', 'value: "12"']));
    assert.equal(f?.id, 'database-connections-exceeded');
  });

  it('flags a key file tracked by git and one left in the Docker context, not one both ignore', async () => {
    const dir = fixture();
    // Named like nothing the ignore files cover; a credential by its content.
    writeFileSync(join(dir, 'deploy-sa.json'), KEY);
    writeFileSync(join(dir, 'gha-creds-abc123.json'), KEY);
    execFileSync('git', ['add', '-f', 'deploy-sa.json'], { cwd: dir });
    const found = await offlineFindings(dir);
    assert.deepEqual(found.map((f) => `${f.id} ${f.file}`).sort(), [
      'key-file-in-docker-context deploy-sa.json',
      'key-file-tracked deploy-sa.json',
    ]);
  });

  it('says so when the directory is not a git work tree', async () => {
    const dir = copy();
    assert.deepEqual(
      (await offlineFindings(dir, [9])).map((f) => f.id),
      ['not-a-git-work-tree'],
    );
  });

  it('reports a file it cannot parse as an error naming the file', async () => {
    const found = await offlineFindings(fixture([SERVICE, 'kind: Service', 'kind: [Service']), [7]);
    assert.deepEqual(
      found.map((f) => f.id),
      ['pitfall-unchecked'],
    );
    assert.match(found[0]?.message ?? '', /deploy\/cloudrun\/service\.yaml is not valid YAML/);
  });

  it('judges image references', () => {
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s:latest'), 'latest');
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s'), 'latest');
    assert.equal(judgeImage('localhost:5000/s'), 'latest');
    assert.equal(judgeImage('$REGISTRY/s:latest'), 'latest');
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s:v1'), 'tag');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s:${{ github.sha }}'), 'pinned');
    assert.equal(
      judgeImage(`europe-west1-docker.pkg.dev/p/r/s@sha256:${'a'.repeat(64)}`),
      'pinned',
    );
    assert.equal(judgeImage('europe-west1-docker.pkg.dev/p/r/s:3f9c2ab'), 'pinned');
    assert.equal(judgeImage('$IMAGE'), 'unknown');
  });
});

describe('doctor CLI', () => {
  it('exits 1 with errors and 0 when clean, with --json on stdout; 2 on a usage error', async () => {
    const env = { PATH: '/usr/bin:/bin' };
    const bad = await runCli(
      [
        'doctor',
        '--offline',
        '--json',
        '--repo',
        fixture([SERVICE, 'containerPort: 8080', 'containerPort: 3000']),
      ],
      env,
    );
    assert.equal(bad.code, 1);
    const doc = JSON.parse(bad.stdout);
    assert.equal(doc.ok, false);
    for (const f of doc.findings)
      for (const key of ['id', 'pitfall', 'severity', 'message', 'fix']) assert.ok(key in f, key);
    const good = await runCli(['doctor', '--offline', '--repo', fixture()], env);
    assert.equal(good.code, 0, good.stdout);
    assert.match(good.stdout, /0 error\(s\), 0 warning\(s\)/);
    assert.equal((await runCli(['doctor', '--project', 'X'], env)).code, 2);
  });
});
