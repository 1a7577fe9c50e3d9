#!/usr/bin/env bash
# Runs the database migrations as a Cloud Run Job from the image about to be
# deployed (node dist/migrate.js), and waits for it. A failure stops the deploy
# before any revision exists, so traffic stays where it is.
#
#   deploy/scripts/migrate.sh --project P --region R --job runway-migrate \
#       --image REGION-docker.pkg.dev/P/REPO/IMAGE@sha256:... \
#       --runtime-service-account SA_EMAIL --database-url-secret SECRET[:VERSION] \
#       [--cloudsql-instance P:R:I] [--task-timeout 600s]
#
# Exit codes: 0 migrated, 2 bad usage, 20 the migration job failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
project='' region='' job='' image='' sa='' secret='' sql='' timeout='600s'
while [[ $# -gt 0 ]]; do
  case $1 in
    --project) project=${2:-}; shift 2 ;;
    --region) region=${2:-}; shift 2 ;;
    --job) job=${2:-}; shift 2 ;;
    --image) image=${2:-}; shift 2 ;;
    --runtime-service-account) sa=${2:-}; shift 2 ;;
    --database-url-secret) secret=${2:-}; shift 2 ;;
    --cloudsql-instance) sql=${2:-}; shift 2 ;;
    --task-timeout) timeout=${2:-}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die 2 "unknown argument: $1 (see --help)" ;;
  esac
done
for f in project region job image sa secret; do need "--$f" "${!f}"; done
[[ $image == *@sha256:* ]] || die 2 "--image must be the pushed image by digest (…@sha256:…), got '$image'"
[[ $secret == *:* ]] || secret="$secret:latest"

# The image's entrypoint is node itself, so the job's arguments name the script.
args=(run jobs deploy "$job"
  --project "$project" --region "$region"
  --image "$image"
  --service-account "$sa"
  --args dist/migrate.js
  --set-secrets "DATABASE_URL=$secret"
  --set-env-vars "ENVIRONMENT=production,DB_CONNECT_TIMEOUT_MS=10000"
  --tasks 1 --max-retries 0 --task-timeout "$timeout"
  --cpu 1 --memory 512Mi
  --execute-now --wait --quiet)
[[ -z $sql ]] || args+=(--set-cloudsql-instances "$sql")

group "migrate: gcloud run jobs deploy $job --execute-now --wait"
if ! gcloud "${args[@]}"; then
  die 20 "the migration job $job failed, so nothing was deployed and traffic is unchanged. Read its logs: gcloud logging read 'resource.type=\"cloud_run_job\" AND resource.labels.job_name=\"$job\"' --project $project --limit 50"
fi
endgroup
log "migrations applied by job $job"
