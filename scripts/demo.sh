#!/usr/bin/env bash
# Set up tenantry and run its demo: the seed guide's whole scenario, end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/tenantry demo "$@"
