#!/usr/bin/env bash
# Creates the new revision from deploy/cloudrun/service.yaml with NO traffic
# and the tag sha-<short>, so it can be smoke-tested at its own URL while the
# current revisions keep serving. (On a first deploy there is nothing to
# protect: the new revision serves at once.)
#
#   deploy/scripts/deploy-revision.sh --project P --region R --service S \
#       --image REGION-docker.pkg.dev/P/REPO/S@sha256:... --sha GIT_SHA \
#       --runtime-service-account SA_EMAIL --database-url-secret SECRET \
#       [--cloudsql-instance P:R:I] [--app-version 1.2.3] [--env K=V]... \
#       [--revision-suffix X] [--workdir DIR]
#
# Outputs: revision, tag, tag_url, service_url, previous (what served before).
# Exit codes: 0 deployed with no traffic, 2 bad usage, 30 cannot read the
# service, 31 the revision failed to deploy (traffic unchanged), 32 no tag URL.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
project='' region='' service='' image='' sha='' sa='' secret='' sql='' version='' suffix='' workdir=''
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --project) project=${2:-}; shift 2 ;;
    --region) region=${2:-}; shift 2 ;;
    --service) service=${2:-}; shift 2 ;;
    --image) image=${2:-}; shift 2 ;;
    --sha) sha=${2:-}; shift 2 ;;
    --runtime-service-account) sa=${2:-}; shift 2 ;;
    --database-url-secret) secret=${2:-}; shift 2 ;;
    --cloudsql-instance) sql=${2:-}; shift 2 ;;
    --app-version) version=${2:-}; shift 2 ;;
    --env) extra+=(--env "${2:-}"); shift 2 ;;
    --revision-suffix) suffix=${2:-}; shift 2 ;;
    --workdir) workdir=${2:-}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die 2 "unknown argument: $1 (see --help)" ;;
  esac
done
for f in project region service image sha sa secret; do need "--$f" "${!f}"; done
workdir=${workdir:-$(mktemp -d)}
mkdir -p "$workdir"
where=(--project "$project" --region "$region")

group "current state of $service"
current=()
previous='(none: first deploy)'
if gcloud run services describe "$service" "${where[@]}" --format=json >"$workdir/current.json" 2>"$workdir/describe.err"; then
  current=(--current "$workdir/current.json")
  previous=$("${SERVICE_STATE[@]}" serving "$workdir/current.json" || echo '(none)')
elif grep -qiE 'could not be found|not_found|404' "$workdir/describe.err"; then
  log "service $service does not exist yet: first deploy"
else
  cat "$workdir/describe.err" >&2
  die 30 "cannot read service $service in $project/$region (above). Check the deployer's roles/run.admin and that the Cloud Run API is enabled: gcloud services enable run.googleapis.com --project $project"
fi
log "serving now: $previous"
endgroup

render=(--project "$project" --region "$region" --service "$service" --image "$image" --sha "$sha"
  --runtime-service-account "$sa" --database-url-secret "$secret" --out "$workdir/service.yaml")
[[ -z $sql ]] || render+=(--cloudsql-instance "$sql")
[[ -z $version ]] || render+=(--app-version "$version")
[[ -z $suffix ]] || render+=(--revision-suffix "$suffix")
names=$("${NODE:-node}" "$SCRIPTS_DIR/render-service.ts" "${render[@]}" "${current[@]}" "${extra[@]}" 2>&1 >/dev/null) ||
  die 2 "rendering service.yaml failed: $names"
revision=$(sed -n 's/^revision=\([^ ]*\) tag=.*/\1/p' <<<"$names")
tag=$(sed -n 's/.* tag=\(.*\)$/\1/p' <<<"$names")
[[ -n $revision && -n $tag ]] || die 2 "render-service.ts printed no revision/tag: $names"

group "gcloud run services replace (revision $revision, tag $tag, no traffic)"
if ! gcloud run services replace "$workdir/service.yaml" "${where[@]}" --quiet; then
  die 31 "revision $revision did not deploy (a failed startup probe shows in its logs: gcloud logging read 'resource.labels.revision_name=\"$revision\"' --project $project --limit 50). Traffic is unchanged: $previous"
fi
endgroup

gcloud run services describe "$service" "${where[@]}" --format=json >"$workdir/after.json" ||
  die 30 "cannot read service $service after the deploy"
tag_url=$("${SERVICE_STATE[@]}" tag-url "$workdir/after.json" "$tag") ||
  die 32 "the service has no URL for tag $tag after the deploy; traffic is unchanged: $previous"
service_url=$("${SERVICE_STATE[@]}" url "$workdir/after.json" || true)
output revision "$revision"
output tag "$tag"
output tag_url "$tag_url"
output service_url "$service_url"
output previous "$previous"
