#!/usr/bin/env bash
# Lint deploy/: YAML style, the compose file and the Kubernetes manifests.
#
#   scripts/lint-deploy.sh
#
# No container engine or cluster is needed: the tools come from PyPI into the
# project-local .venv (deploy/requirements-lint.txt), and kubernetes-validate
# carries the Kubernetes JSON schemas, so it works offline once installed.
#   1. yamllint (deploy/.yamllint.yaml) over every YAML file in deploy/
#   2. scripts/check_deploy.py: compose.yaml, Dockerfile and manifests agree with
#      this repository (services, subcommands, probes, selectors, non-root, ...)
#   3. kubernetes-validate --strict against Kubernetes $KUBERNETES_VERSION
set -euo pipefail

# The Kubernetes release the manifests are validated against.
KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.34.0}"

KOMPIS_LOG_PREFIX="lint-deploy"
# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"
cd "$KOMPIS_ROOT"

kompis_ensure_venv "$KOMPIS_ROOT/deploy/requirements-lint.txt"
venv="${KOMPIS_VENV:-$KOMPIS_ROOT/.venv}"

mapfile -t yaml_files < <(find deploy -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
mapfile -t manifests < <(find deploy/kubernetes -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)

kompis_log "yamllint (${#yaml_files[@]} files)"
"$venv/bin/yamllint" --strict -c deploy/.yamllint.yaml "${yaml_files[@]}"

kompis_log "consistency of compose.yaml, Dockerfile and manifests with the repository"
"$venv/bin/python" scripts/check_deploy.py "$KOMPIS_ROOT"

kompis_log "kubernetes-validate --strict, Kubernetes $KUBERNETES_VERSION (${#manifests[@]} files)"
"$venv/bin/kubernetes-validate" --strict --quiet -k "$KUBERNETES_VERSION" "${manifests[@]}"

kompis_log "deploy/ is clean"
