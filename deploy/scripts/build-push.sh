#!/usr/bin/env bash
# Builds the image in the runner (so the build log is in the job log), tags it
# with the commit SHA, pushes it to Artifact Registry and prints its digest.
#
#   deploy/scripts/build-push.sh --image-repo REGION-docker.pkg.dev/PROJECT/REPO/SERVICE \
#       --sha GIT_SHA [--version 1.2.3] [--dockerfile Dockerfile] [--context .]
#
# --dockerfile Dockerfile.cache selects the BuildKit variant with an npm cache mount.
# Outputs (stdout, and $GITHUB_OUTPUT in Actions): image_tag, image (by digest), digest.
# Exit codes: 0 pushed, 2 bad usage, 10 build failed, 11 push failed, 12 no digest.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
repo='' sha='' version='0.0.0' dockerfile='Dockerfile' context='.'
while [[ $# -gt 0 ]]; do
  case $1 in
    --image-repo) repo=${2:-}; shift 2 ;;
    --sha) sha=${2:-}; shift 2 ;;
    --version) version=${2:-}; shift 2 ;;
    --dockerfile) dockerfile=${2:-}; shift 2 ;;
    --context) context=${2:-}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die 2 "unknown argument: $1 (see --help)" ;;
  esac
done
need --image-repo "$repo"
need --sha "$sha"
[[ $sha =~ ^[0-9a-f]{40}$ ]] || die 2 "--sha must be the full 40-character commit SHA, got '$sha'"
[[ $repo =~ ^[a-z0-9-]+-docker\.pkg\.dev/[a-z0-9-]+/[a-z0-9_-]+/[a-z0-9._/-]+$ ]] ||
  die 2 "--image-repo must look like REGION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE, got '$repo'"
[[ -f $dockerfile ]] || die 2 "no Dockerfile at $dockerfile"

tag="$repo:$sha"
group "docker build $tag"
# Plain progress: every step's output lands in the job log.
if ! BUILDKIT_PROGRESS=plain docker build \
  --file "$dockerfile" \
  --build-arg "GIT_SHA=$sha" \
  --build-arg "APP_VERSION=$version" \
  --tag "$tag" \
  "$context"; then
  die 10 "docker build failed (log above); nothing was pushed or deployed"
fi
endgroup

group "docker push $tag"
docker push "$tag" || die 11 "docker push to $repo failed: check that the Artifact Registry repository exists and the deployer has roles/artifactregistry.writer on it; run 'gcloud auth configure-docker ${repo%%/*}'"
endgroup

ref=$(docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$tag" | grep -E "^${repo//./\\.}@sha256:[0-9a-f]{64}$" | head -n1 || true)
[[ -n $ref ]] || die 12 "pushed $tag but found no registry digest for it (docker inspect RepoDigests is empty)"
output image_tag "$tag"
output image "$ref"
output digest "${ref#*@}"
