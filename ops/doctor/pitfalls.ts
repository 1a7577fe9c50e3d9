// Every pitfall doctor looks for, described once: a finding's `pitfall` is a
// key of this table. `checks` is what doctor looks at, `why` what goes wrong
// when it is left. 1, 2 and 11 are checked on the project (live.ts: what bootstrap would
// change; vm.ts), the others on the repository (rules/). DEPLOYMENT.md points here.
export const PITFALLS = {
  1: {
    checks:
      'The APIs the pipeline calls are enabled and the Artifact Registry repository exists, with its cleanup policy',
    why: 'The first deploy fails on a disabled API or a missing repository',
  },
  2: {
    checks:
      'Both accounts exist and are enabled, the DATABASE_URL secret exists and the runtime account may read it; the deployer holds run.developer or run.admin, artifactregistry.writer on the repository and serviceAccountUser on the runtime account only; no owner, editor or project-wide serviceAccountUser; the Workload Identity provider pins the repository and main, and no other principal may impersonate the deployer',
    why: 'Deploys fail on a missing permission, or any repository can deploy',
  },
  3: {
    checks:
      'The root Dockerfile uses no BuildKit-only syntax (# syntax=, RUN --mount/--network/--security, heredocs, COPY/ADD --link/--chmod/--parents/--exclude, ADD --checksum/--keep-git-dir, automatic platform ARGs)',
    why: "Cloud Build's default builder and docker without BuildKit reject it: a Dockerfile written for BuildKit builds on a laptop and fails elsewhere",
  },
  4: {
    checks:
      "One port in the app's default (loadConfig), the Dockerfile's EXPOSE and ENV PORT, service.yaml's containerPort and probe ports, and every --port of a gcloud run command; no PORT in service.yaml's env (Cloud Run reserves it)",
    why: 'Cloud Run sends traffic and probes to containerPort (8080 when unset) and sets $PORT to it; any other port fails every startup probe, with no word about the port',
  },
  5: {
    checks:
      'Every image a deploy path names (--image in workflows and deploy/ scripts, deploy-cloudrun actions, service.yaml) is pinned by digest or commit SHA, never :latest or untagged',
    why: 'A revision whose image nobody can name afterwards: a rollback redeploys whatever latest is now, and two deploys racing push over each other',
  },
  6: {
    checks:
      'No gcloud run deploy/replace/update with --async, and gcloud run jobs execute (or --execute-now) waits with --wait',
    why: "gcloud returns at once, so a failed revision or migration neither fails the job nor shows in the job's log",
  },
  7: {
    checks:
      "service.yaml's probes keep Cloud Run's limits (startup: failureThreshold × periodSeconds ≤ 240 s; timeoutSeconds < periodSeconds); the startup probe allows at least the measured cold start (deploy/cloudrun/probe-budget.json), plus the database connect timeout if it probes /ready; it probes the process, not the database",
    why: 'Healthy but slow revisions are killed; a startup probe on the database lets a short database outage keep new instances from starting and send them into restart backoff',
  },
  8: {
    checks: "Every probe path in service.yaml is one of the app's PROBE_PATHS",
    why: 'Every revision fails its probes on a 404',
  },
  9: {
    checks:
      'No key file tracked by git or left in the Docker build context; .gitignore (git check-ignore) and .dockerignore (Docker rules) keep gha-creds-*.json, *-key.json and .env out, at any depth; a credentials_json auth step beside Workload Identity Federation runs only when the WIF provider is unset',
    why: 'google-github-actions/auth writes gha-creds-*.json into the workspace and a key downloaded "just once" lands next to the Dockerfile: then it is committed, or COPY . . publishes it in an image layer',
  },
  10: {
    checks:
      "DB_POOL_SIZE (service.yaml, else the app's default) × maxScale, plus room for PostgreSQL's reserved superuser slots, the migration job and an operator's psql, stays within the connection limit of the Cloud SQL tier that bootstrap creates",
    why: "Each instance opens up to DB_POOL_SIZE connections; past the tier's limit new ones fail with 'remaining connection slots are reserved'",
  },
  11: {
    checks:
      "The VM path (bootstrap --target vm): firewall rules for 80/443 from anywhere and 22 only from IAP's range, and no other rule opening SSH to the internet; a domain, so that Caddy serves HTTPS; runway-image by digest; the VM runs as its own account with the cloud-platform scope; its boot disk comes from Debian's image family; its static IP and guest attributes",
    why: 'An SSH port open to the internet is scanned within minutes; without a domain traffic is plain HTTP; a tag serves whatever was pushed last; the default Compute account holds Editor, and narrow scopes break Secret Manager and logging in ways IAM does not show; another OS lacks the packages the VM definition installs',
  },
} as const;

export type Pitfall = keyof typeof PITFALLS;
