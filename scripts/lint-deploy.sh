#!/usr/bin/env bash
# Lint deploy/: YAML style, the Dockerfile, the compose file and the Kubernetes
# manifests as kustomize renders them.
#
#   scripts/lint-deploy.sh
#
# No container engine, cluster or kustomize binary is needed: the tools come from
# PyPI into the project-local .venv (deploy/requirements-lint.txt) and carry their
# schemas, so this works offline once installed, in a few seconds.
#   1. yamllint (deploy/.yamllint.yaml) over every YAML file in deploy/
#   2. hadolint (deploy/.hadolint.yaml) over deploy/Dockerfile
#   3. check-jsonschema: compose.yaml against the Compose specification's schema
#   4. scripts/kustomize_render.py renders the base and every overlay (the subset of
#      kustomize that deploy/ uses; anything else is refused), after its own tests
#      (scripts/test_kustomize_render.py)
#   5. scripts/check_deploy.py: compose.yaml, Dockerfile and the rendered manifests
#      agree with this repository (services, subcommands, probes, selectors, ...)
#   6. kubernetes-validate --strict against Kubernetes $KUBERNETES_VERSION, over the
#      rendered manifests and the Secret template
# Not run here: `docker build` and `docker compose config` (no container engine),
# kustomize itself, and a server-side dry run against a cluster.
set -euo pipefail

# The Kubernetes release the manifests are validated against.
KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.34.0}"

KOMPIS_LOG_PREFIX="lint-deploy"
# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
cd "$KOMPIS_ROOT"

kompis_ensure_venv "$KOMPIS_ROOT/deploy/requirements-lint.txt"
venv="${KOMPIS_VENV:-$KOMPIS_ROOT/.venv}"

rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT

mapfile -t yaml_files < <(find deploy -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)

kompis_log "yamllint (${#yaml_files[@]} files)"
"$venv/bin/yamllint" --strict -c deploy/.yamllint.yaml "${yaml_files[@]}"

kompis_log "hadolint deploy/Dockerfile"
"$venv/bin/hadolint" --config deploy/.hadolint.yaml deploy/Dockerfile

kompis_log "compose.yaml against the Compose specification"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml

kompis_log "tests of the kustomize renderer"
if ! out="$("$venv/bin/python" scripts/test_kustomize_render.py 2>&1)"; then
    printf '%s\n' "$out" >&2
    kompis_die "the kustomize renderer's tests failed"
fi

kustomizations=(deploy/kubernetes/base deploy/kubernetes/overlays/*/)
manifests=()
for dir in "${kustomizations[@]}"; do
    dir="${dir%/}"
    out="$rendered/$(tr '/' '_' <<<"$dir").yaml"
    kompis_log "render $dir"
    "$venv/bin/python" scripts/kustomize_render.py "$dir" -o "$out"
    manifests+=("$out")
done
manifests+=(deploy/kubernetes/templates/*.yaml)

kompis_log "consistency of compose.yaml, Dockerfile and manifests with the repository"
"$venv/bin/python" scripts/check_deploy.py "$KOMPIS_ROOT"

kompis_log "kubernetes-validate --strict, Kubernetes $KUBERNETES_VERSION (${#manifests[@]} files)"
"$venv/bin/kubernetes-validate" --strict --quiet -k "$KUBERNETES_VERSION" "${manifests[@]}"

kompis_log "deploy/ is clean"
