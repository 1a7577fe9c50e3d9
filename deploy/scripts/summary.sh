#!/usr/bin/env bash
# Writes the deploy's outcome to the job summary ($GITHUB_STEP_SUMMARY, or
# stdout outside Actions): URL, revision, image digest, or where it stopped.
#
#   deploy/scripts/summary.sh --outcome success|failure [--service-url U] [--tag-url U]
#       [--revision R] [--image IMAGE@DIGEST] [--previous "rev=100%"] [--failed-step NAME]
#
# Exit codes: 0 written, 2 bad usage.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

outcome='' service_url='' tag_url='' revision='' image='' previous='' failed=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --outcome) outcome=${2:-}; shift 2 ;;
    --service-url) service_url=${2:-}; shift 2 ;;
    --tag-url) tag_url=${2:-}; shift 2 ;;
    --revision) revision=${2:-}; shift 2 ;;
    --image) image=${2:-}; shift 2 ;;
    --previous) previous=${2:-}; shift 2 ;;
    --failed-step) failed=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die 2 "unknown argument: $1 (see --help)" ;;
  esac
done
[[ $outcome == success || $outcome == failure ]] || die 2 "--outcome must be success or failure"
out=${GITHUB_STEP_SUMMARY:-/dev/stdout}
{
  if [[ $outcome == success ]]; then
    echo "## Deployed ✅"
    echo
    echo "| | |"
    echo "|---|---|"
    echo "| URL | ${service_url:-?} |"
    echo "| Revision | \`${revision:-?}\` (100 % of traffic) |"
    echo "| Image | \`${image:-?}\` |"
    echo "| Tagged URL | ${tag_url:-?} |"
    echo "| Previously serving | ${previous:-?} |"
  else
    echo "## Deploy failed ❌"
    echo
    echo "Stopped at: **${failed:-unknown step}** (the step's log has the reason)."
    echo
    echo "Traffic was not moved: ${previous:-the previous revision} still serves."
    [[ -z $revision ]] || echo "The untested revision \`$revision\` has 0 % of traffic${tag_url:+ and stays reachable at $tag_url for debugging}."
    [[ -z $image ]] || echo "Image: \`$image\`"
  fi
} >>"$out"
