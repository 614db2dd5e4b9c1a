#!/usr/bin/env bash
# Set up tenantry in ./.venv with every extra (pinned by constraints.txt). With --test, also
# install the system packages the test suite needs (clickhouse-server, chromium, postgresql,
# redis-server) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root to run: $*"; return 1; fi
}

if [ "$want_test" = 1 ]; then
    missing=()
    [ -x /usr/sbin/clickhouse-server ] || [ -x /usr/bin/clickhouse-server ] || missing+=(clickhouse-server)
    command -v chromium >/dev/null || missing+=(chromium)
    command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
    command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        # clickhouse-server's postinst would try to start a system service: stop that.
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod +x /usr/sbin/policy-rc.d
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
        as_root rm -f /usr/sbin/policy-rc.d
    fi
fi

PY=${PYTHON:-}
if [ -z "$PY" ]; then
    for cand in python3.13 python3.12 python3.11 python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            PY=$cand; break
        fi
    done
fi
[ -n "$PY" ] || { say "tenantry needs Python >= 3.11"; exit 1; }

if [ ! -x .venv/bin/python ]; then
    say "creating .venv with $PY"
    "$PY" -m venv .venv
fi

extras="dev,bench"
stamp=".venv/.tenantry-installed-${extras/,/-}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    say "installing tenantry[$extras] (versions pinned by constraints.txt)"
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[$extras]"
    touch "$stamp"
fi
