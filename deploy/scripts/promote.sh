#!/usr/bin/env bash
# Moves 100 % of the traffic to a revision that passed its smoke test, then
# checks that it did.
#
#   deploy/scripts/promote.sh --project P --region R --service S --revision REV
#
# Exit codes: 0 promoted, 2 bad usage, 40 traffic did not move.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
project='' region='' service='' revision=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --project) project=${2:-}; shift 2 ;;
    --region) region=${2:-}; shift 2 ;;
    --service) service=${2:-}; shift 2 ;;
    --revision) revision=${2:-}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die 2 "unknown argument: $1 (see --help)" ;;
  esac
done
for f in project region service revision; do need "--$f" "${!f}"; done
where=(--project "$project" --region "$region")

group "promote $revision to 100 %"
gcloud run services update-traffic "$service" "${where[@]}" --to-revisions "$revision=100" --quiet ||
  die 40 "moving traffic to $revision failed; the previous revisions still serve. Retry: gcloud run services update-traffic $service --to-revisions $revision=100 --project $project --region $region"
state=$(mktemp)
gcloud run services describe "$service" "${where[@]}" --format=json >"$state" || die 40 "cannot read $service after promoting"
percent=$("${SERVICE_STATE[@]}" percent "$state" "$revision" || echo 0)
[[ $percent == 100 ]] || die 40 "after promoting, $revision serves $percent % instead of 100 %"
endgroup
output promoted "$revision"
