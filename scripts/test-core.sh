#!/usr/bin/env bash
# The core library's tests in a fresh venv holding the core install only (no extras):
#
#   bash scripts/test-core.sh PYTHON            # versions pinned by constraints.txt
#   bash scripts/test-core.sh PYTHON --lowest   # the lowest versions pyproject.toml admits
#
# --lowest resolves the core's dependencies on the fly (uv pip compile --resolution
# lowest-direct) into the venv's own folder; nothing with a registry address is committed.
# The tests run are tests/conftest.py's CORE_PATHS (TENANTRY_CORE_ONLY=1).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:?usage: test-core.sh PYTHON [--lowest]}
mode=pinned
[ "${2:-}" = "--lowest" ] && mode=lowest
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
venv=".venv-core/py$ver-$mode"
say() { printf '\033[1m[core py%s %s]\033[0m %s\n' "$ver" "$mode" "$*" >&2; }

# one wheel of tenantry for every run (what `pip install tenantry` installs)
if [ ! -f .venv-core/wheel.stamp ] || [ -n "$(find src pyproject.toml -newer .venv-core/wheel.stamp -print -quit)" ]; then
    rm -rf .venv-core/wheel && mkdir -p .venv-core
    .venv/bin/python -m pip wheel -q --disable-pip-version-check --no-deps -w .venv-core/wheel . >/dev/null
    touch .venv-core/wheel.stamp
fi
wheel=$(ls .venv-core/wheel/tenantry-*.whl)

rm -rf "$venv"
"$py" -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
# the test tools, pinned (they are not tenantry's dependencies); the vendors' official SDKs are
# the oracle of the payload comparison tests
"${pip[@]}" -c constraints.txt pytest pytest-asyncio pytest-timeout hypothesis psutil \
    posthog amplitude-analytics
if [ "$mode" = lowest ]; then
    .venv/bin/uv pip compile -q pyproject.toml --resolution lowest-direct --python-version "$ver" \
        --no-header --no-annotate -o "$venv/lowest.txt"
    say "lowest versions: $(grep -v '^#' "$venv/lowest.txt" | tr '\n' ' ')"
    "${pip[@]}" -r "$venv/lowest.txt"
    "${pip[@]}" --no-deps "$wheel"
else
    "${pip[@]}" -c constraints.txt "$wheel"
fi
"$venv/bin/python" -m pip check >/dev/null
say "$("$venv/bin/python" -m pip list --format=freeze --disable-pip-version-check | grep -ic '==') distributions in the venv (test tools included)"
TENANTRY_CORE_ONLY=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider -o addopts="" --timeout 300
