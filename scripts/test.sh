#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, checks the layers
# (lint-imports: the contracts in pyproject.toml's [tool.importlinter]), runs the core library's
# tests on Python 3.11, 3.12 and 3.13 and at the lowest versions pyproject.toml admits, each in
# a venv without extras (scripts/test-core.sh), then the whole suite with every extra.
# With arguments, only pytest runs, with those arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
if [ "$#" -eq 0 ]; then
    .venv/bin/lint-imports --no-cache || {
        echo "error: an import breaks the layers that pyproject.toml [tool.importlinter] declares (above)" >&2
        exit 1
    }
    find_python() {  # python3.X on PATH (one that runs: a pyenv shim may not), else pyenv's 3.X
        local py
        py=$(command -v "python$1" 2>/dev/null) && "$py" -c 'pass' >/dev/null 2>&1 && { echo "$py"; return; }
        ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/python3 2>/dev/null | sort -V | tail -1
    }
    pythons=()
    for v in 3.11 3.12 3.13; do
        py=$(find_python "$v")
        [ -n "$py" ] || { echo "error: Python $v not found (PATH or pyenv)" >&2; exit 1; }
        pythons+=("$py")
    done
    # The core matrix runs beside the whole suite, one run after another (each in its own venv,
    # its output in .test-logs/): the suite waits on servers and subprocesses much of the time,
    # and its timing-dependent tests are written to hold on a loaded machine.
    rm -rf .test-logs && mkdir -p .test-logs
    (
        for i in 0 1 2; do
            log=".test-logs/core-py3.1$((i + 1)).log"
            bash scripts/test-core.sh "${pythons[$i]}" >"$log" 2>&1 || {
                echo "core tests failed on ${pythons[$i]}: $log" >&2; exit 1; }
        done
        bash scripts/test-core.sh "${pythons[0]}" --lowest >.test-logs/core-lowest.log 2>&1 || {
            echo "core tests failed at the lowest versions: .test-logs/core-lowest.log" >&2; exit 1; }
    ) &
    core=$!
    suite=0
    .venv/bin/python -m pytest || suite=$?
    matrix=0
    wait "$core" || matrix=$?
    for log in .test-logs/core-*.log; do
        printf '%s: %s\n' "$log" "$(tail -n 1 "$log")"
    done
    if [ "$matrix" -ne 0 ]; then
        for log in .test-logs/core-*.log; do tail -n 40 "$log"; done
    fi
    [ "$suite" -eq 0 ] && [ "$matrix" -eq 0 ] || exit 1
    exit 0
fi
exec .venv/bin/python -m pytest "$@"
