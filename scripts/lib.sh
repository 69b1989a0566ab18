# shellcheck shell=bash
# Helpers shared by the scripts in this folder. Source it; do not execute it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Defines KOMPIS_ROOT (the repository root) and small functions for messages,
# root privileges and Debian packages.

if [[ -z "${KOMPIS_ROOT:-}" ]]; then
    KOMPIS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
fi
export KOMPIS_ROOT

# Messages go to stderr so that stdout stays usable for data. A closed stderr
# (e.g. `| tee` ended by Ctrl-C) must not stop a clean-up half way.
kompis_log() {
    [[ "${KOMPIS_QUIET:-0}" == 1 ]] && return 0
    printf '%s: %s\n' "${KOMPIS_LOG_PREFIX:-kompis}" "$*" >&2 2>/dev/null || true
}

kompis_warn() {
    printf '%s: warning: %s\n' "${KOMPIS_LOG_PREFIX:-kompis}" "$*" >&2 2>/dev/null || true
}

kompis_die() {
    printf '%s: error: %s\n' "${KOMPIS_LOG_PREFIX:-kompis}" "$*" >&2
    exit 1
}

# Hide the password of a URL (scheme://user:password@host -> scheme://user:***@host).
kompis_redact_url() {
    # shellcheck disable=SC2001
    sed -E 's#^([a-zA-Z][a-zA-Z0-9+.-]*://)([^:@/]*):[^@/]*@#\1\2:***@#' <<<"$1"
}

# Run a command with root privileges: directly as root, else through sudo.
kompis_as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@" 2>/dev/null || sudo "$@"
    else
        kompis_die "need root privileges to run '$*' (no sudo found); run it as root or install the packages yourself"
    fi
}

_kompis_apt_updated=0

# Install Debian packages that are not installed yet (non-interactive).
# Usage: kompis_apt_install PACKAGE...
kompis_apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null 2>&1 ||
        kompis_die "missing packages (${missing[*]}) and no apt-get to install them; install them by hand"
    kompis_log "installing Debian packages: ${missing[*]}"
    if [[ "$_kompis_apt_updated" == 0 ]]; then
        kompis_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
            kompis_die "apt-get update failed"
        _kompis_apt_updated=1
    fi
    kompis_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        --no-install-recommends "${missing[@]}" >&2 ||
        kompis_die "apt-get install ${missing[*]} failed"
}

# Make sure a C toolchain and pkg-config exist for crates that build C code.
kompis_ensure_build_deps() {
    local pkgs=()
    command -v cc >/dev/null 2>&1 || pkgs+=(build-essential)
    command -v make >/dev/null 2>&1 || pkgs+=(build-essential)
    command -v pkg-config >/dev/null 2>&1 || pkgs+=(pkg-config)
    command -v git >/dev/null 2>&1 || pkgs+=(git)
    [[ -e /etc/ssl/certs/ca-certificates.crt ]] || pkgs+=(ca-certificates)
    if ((${#pkgs[@]})); then
        # shellcheck disable=SC2046
        kompis_apt_install $(printf '%s\n' "${pkgs[@]}" | sort -u)
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        if [[ -x "$HOME/.cargo/bin/cargo" ]]; then
            PATH="$HOME/.cargo/bin:$PATH"
            export PATH
        else
            kompis_die "cargo not found: install Rust with rustup (https://rustup.rs); rust-toolchain.toml pins the version"
        fi
    fi
}

# Create (if needed) the project-local Python virtual environment and install
# the given requirement files into it. Prints nothing on stdout.
# Usage: kompis_ensure_venv REQUIREMENTS_FILE...
kompis_ensure_venv() {
    local venv="${KOMPIS_VENV:-$KOMPIS_ROOT/.venv}" req stamp want have
    command -v python3 >/dev/null 2>&1 || kompis_apt_install python3
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$venv"
        kompis_log "creating Python virtual environment in ${venv#"$KOMPIS_ROOT"/}"
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            local pyver
            pyver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
            kompis_apt_install python3-venv "python${pyver}-venv" 2>/dev/null ||
                kompis_apt_install python3-venv
            python3 -m venv "$venv" >&2 || kompis_die "python3 -m venv failed"
        fi
    fi
    for req in "$@"; do
        stamp="$venv/.installed-$(basename "$(dirname "$req")")-$(basename "$req")"
        want="$(sha256sum "$req" | cut -d' ' -f1)"
        have="$(cat "$stamp" 2>/dev/null || true)"
        if [[ "$want" != "$have" ]]; then
            kompis_log "installing ${req#"$KOMPIS_ROOT"/} into ${venv#"$KOMPIS_ROOT"/}"
            "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2 ||
                kompis_die "pip install -r $req failed"
            printf '%s\n' "$want" >"$stamp"
        fi
    done
}
