#!/usr/bin/env bash
# The checks and tests in one command, also on a fresh Debian or Ubuntu machine:
#   tests/run.sh [pytest arguments, e.g. -m "not reliability" or tests/test_cli.py -x]
# Installs the system packages the tests need that are missing (with sudo unless
# root), makes or updates .venv with kindnudge and its test extra, runs ruff,
# then pytest. The tests start their own Xvfb, session bus and dunst.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
    xvfb dbus dunst libnotify-bin imagemagick xauth faketime libfaketime tmux
    fonts-dejavu-core gcc libc6-dev desktop-file-utils systemd python3-dbus
    openbox wmctrl xdotool x11-utils libxss1 xfconf libglib2.0-bin gsettings-desktop-schemas
)
PYTHON=${PYTHON:-python3}

say() { printf 'tests/run.sh: %s\n' "$*" >&2; }

missing=()
if command -v dpkg-query >/dev/null; then
    for package in "${PACKAGES[@]}"; do
        [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null) == ii* ]] || missing+=("$package")
    done
    command -v "$PYTHON" >/dev/null || missing+=(python3)
    "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
else
    say "not Debian or Ubuntu: install the equivalents of ${PACKAGES[*]} yourself"
fi
if ((${#missing[@]})); then
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || { say "installing ${missing[*]} needs root: run as root or install sudo"; exit 1; }
        sudo=(sudo)
    fi
    say "installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if dpkg-query -W -f='${db:Status-Abbrev}' dbus-x11 2>/dev/null | grep -q '^ii'; then
    say "dbus-x11 is installed; it would let notifications escape the tests' private bus: apt-get remove dbus-x11"
    exit 1
fi

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
    { say "kindnudge needs Python 3.10 or newer; set PYTHON=python3.X"; exit 1; }
.venv/bin/python -c '' 2>/dev/null || "$PYTHON" -m venv --clear .venv
installed=.venv/kindnudge-installed-from  # what the venv was set up from: redo when it changes
if ! cat pyproject.toml src/kindnudge/__init__.py | cmp -s - "$installed"; then
    .venv/bin/python -m pip install -q -e '.[test]'
    cat pyproject.toml src/kindnudge/__init__.py >"$installed"
fi
export PATH="$PWD/.venv/bin:$PATH"

.venv/bin/ruff check src tests bench docs
.venv/bin/ruff format --check src tests bench docs
# One worker per core (pytest-xdist): most tests wait on a `kindnudge` process or
# their own desktop. `tests/run.sh -n 0` runs them in this one process instead.
.venv/bin/python -m pytest -n auto "$@"
