// doctor's live checks with the real gcloud against the stand-in: an empty
// project, and the project bootstrap set up with things broken afterwards.
// The fixes it prints are run as printed, by a shell and the real gcloud.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { attributeCondition } from '../../ops/names.ts';
import { runCli } from '../standin/cli.ts';
import type { Policy } from '../standin/iam.ts';
import type { Standin } from '../standin/server.ts';
import {
  bootstrapped,
  cloud,
  GITHUB,
  names as n,
  PROJECT,
  PROJECT_NUMBER,
  REGION,
  REPOSITORY_ID,
} from './helpers/cloud.ts';

interface Finding {
  id: string;
  pitfall: number | null;
  message: string;
  fix: string;
}

const runtime = `serviceAccount:${n.runtimeSa}`;
const deployer = `serviceAccount:${n.deployerSa}`;
const condition = attributeCondition(REPOSITORY_ID, GITHUB);
const BOOTSTRAP_FIX = `npm run runway -- bootstrap --project ${PROJECT} --region ${REGION} --github ${GITHUB}`;

/** The live findings of `doctor` (pitfalls 1 and 2, or about the live run itself). */
async function liveFindings(s: Standin, env: Record<string, string> = {}) {
  const r = await runCli(
    ['doctor', '--json', '--project', PROJECT, '--region', REGION, '--github', GITHUB],
    s,
    env,
  );
  const doc = JSON.parse(r.stdout);
  return (doc.findings as Finding[]).filter(
    (f) => f.pitfall === 1 || f.pitfall === 2 || /^(live|monitoring|bootstrap)-/.test(f.id),
  );
}

const without = (policy: Policy, member: string, role: string) => {
  for (const b of policy.bindings ?? [])
    if (b.role === role) b.members = b.members.filter((m) => m !== member);
};

describe('doctor live checks', { concurrency: true }, () => {
  it('on an empty project: every write of the set-up, each step of it an id', async () => {
    const s = await cloud();
    try {
      const found = await liveFindings(s);
      const ids = found.map((f) => f.id);
      assert.deepEqual(
        [...new Set(ids)],
        [
          ...['apis', 'registry', 'accounts', 'database', 'pepper', 'iam', 'wif'].map(
            (x) => `bootstrap-${x}`,
          ),
          'monitoring-missing',
        ],
      );
      const missing = found.pop();
      assert.deepEqual(
        found.map((f) => f.pitfall),
        ids.slice(0, -1).map((id) => (/apis|registry/.test(id) ? 1 : 2)),
      );
      // No monitoring at all may be a choice: a warning, fixed by bootstrap.
      assert.equal(missing?.fix, `${BOOTSTRAP_FIX} --with-monitoring --notify EMAIL`);
      assert.match(
        found[0]?.fix ?? '',
        new RegExp(`^gcloud services enable run\\.googleapis\\.com .*--project=${PROJECT}$`),
      );
      assert.match(found[1]?.fix ?? '', /^gcloud artifacts repositories create runway /);
      assert.equal(found[1]?.message, 'bootstrap would create the Docker repository runway');
      // The cleanup policy and the secret go through stdin, the provider needs the
      // GitHub repository id: bootstrap makes them.
      assert.equal(found[2]?.fix, BOOTSTRAP_FIX);
      const secret = found.find((f) => f.id === 'bootstrap-database');
      assert.equal(secret?.fix, `printf %s "$DATABASE_URL" | ${BOOTSTRAP_FIX}`);
      // A new pepper is bootstrap's to make: it never goes on a command line.
      const pepper = found.find((f) => f.id === 'bootstrap-pepper');
      assert.equal(
        pepper?.message,
        `bootstrap would create the secret ${n.pepper} holding a random API_KEY_PEPPER`,
      );
      assert.equal(pepper?.fix, BOOTSTRAP_FIX);
      assert.deepEqual(
        found.slice(-2).map((f) => f.fix),
        [BOOTSTRAP_FIX, BOOTSTRAP_FIX],
      );
    } finally {
      await s.close();
    }
  });

  it('after bootstrap, flags each thing broken since, with a fix that works as printed', async () => {
    const s = await cloud((await bootstrapped()).state);
    const st = s.state;
    const project = st.policies[`projects/${PROJECT}`] as Policy;
    without(project, deployer, 'roles/logging.viewer');
    project.bindings?.push({ role: 'roles/editor', members: [deployer] });
    without(st.policies[`secrets/${n.secret}`], runtime, 'roles/secretmanager.secretAccessor');
    st.serviceAccounts[n.runtimeSa].disabled = true;
    st.providers[`${n.pool}/${n.provider}`].attributeCondition =
      "assertion.repository_owner == 'acme'";
    const wide = `principalSet://iam.googleapis.com/projects/${PROJECT_NUMBER}/locations/global/workloadIdentityPools/github-actions/*`;
    st.policies[`serviceAccounts/${n.deployerSa}`].bindings[0].members.push(wide);
    st.monitoring[`v3/projects/${PROJECT}/uptimeCheckConfigs`] = [];
    try {
      const found = await liveFindings(s);
      const p = `--project=${PROJECT}`;
      assert.deepEqual(
        found.map((f) => [f.id, f.fix]),
        [
          ['bootstrap-accounts', `gcloud iam service-accounts enable ${n.runtimeSa} ${p}`],
          [
            'bootstrap-iam',
            `gcloud projects add-iam-policy-binding ${PROJECT} --member=${deployer} --role=roles/logging.viewer --condition=None --format=none`,
          ],
          [
            'bootstrap-iam',
            `gcloud secrets add-iam-policy-binding ${n.secret} ${p} --member=${runtime} --role=roles/secretmanager.secretAccessor --format=none`,
          ],
          [
            'bootstrap-iam',
            `gcloud projects remove-iam-policy-binding ${PROJECT} --member=${deployer} --role=roles/editor --all --format=none`,
          ],
          [
            'bootstrap-wif',
            `gcloud iam workload-identity-pools providers update-oidc ${n.provider} --issuer-uri=https://token.actions.githubusercontent.com '--attribute-mapping=google.subject=assertion.sub,attribute.workflow=assertion.repository_id + '\\''/'\\'' + assertion.environment + '\\''/'\\'' + assertion.job_workflow_ref' '--attribute-condition=${condition.replaceAll("'", "'\\''")}' --workload-identity-pool=${n.pool} --location=global ${p}`,
          ],
          [
            'bootstrap-wif',
            `gcloud iam service-accounts remove-iam-policy-binding ${n.deployerSa} ${p} '--member=${wide}' --role=roles/iam.workloadIdentityUser --format=none`,
          ],
          [
            'bootstrap-monitoring',
            `gcloud monitoring uptime create runway-live --resource-type=uptime-url --resource-labels=host=runway-${PROJECT_NUMBER}.${REGION}.run.app,project_id=${PROJECT} --protocol=https --path=/live --period=1 --timeout=10 --service-agent-auth=oidc-token ${p} --format=none`,
          ],
        ],
      );
      assert.equal(
        found[2]?.message,
        `bootstrap would grant roles/secretmanager.secretAccessor to ${runtime} on the secret`,
      );

      for (const { fix } of found.filter((f) => f.fix.startsWith('gcloud '))) {
        const sh = spawn('sh', ['-c', fix], { env: s.env(), stdio: 'ignore' });
        const [code] = await once(sh, 'close');
        assert.equal(code, 0, fix);
      }
      const after = s.state;
      assert.equal(after.serviceAccounts[n.runtimeSa].disabled, undefined);
      const holders = (key: string, role: string) =>
        (after.policies[key] as Policy).bindings
          ?.filter((b) => b.role === role)
          .flatMap((b) => b.members);
      assert.deepEqual(holders(`projects/${PROJECT}`, 'roles/logging.viewer'), [deployer]);
      assert.deepEqual(holders(`projects/${PROJECT}`, 'roles/editor'), []);
      assert.deepEqual(holders(`secrets/${n.secret}`, 'roles/secretmanager.secretAccessor'), [
        runtime,
      ]);
      assert.ok(
        !holders(`serviceAccounts/${n.deployerSa}`, 'roles/iam.workloadIdentityUser')?.includes(
          wide,
        ),
      );
      assert.equal(after.providers[`${n.pool}/${n.provider}`].attributeCondition, condition);
      assert.deepEqual(await liveFindings(s), []);
    } finally {
      await s.close();
    }
  });

  it('are skipped, with a note, when gcloud has no credentials', async () => {
    const s = await cloud();
    try {
      const found = await liveFindings(s, {
        CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: '',
        CLOUDSDK_CORE_ACCOUNT: '',
      });
      assert.deepEqual(
        found.map((f) => f.id),
        ['live-checks-skipped'],
      );
      assert.deepEqual(s.calls, []);
    } finally {
      await s.close();
    }
  });
});
