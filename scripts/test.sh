#!/usr/bin/env bash
# Set up .venv (core + every bundled plugin + test tools) and run the whole test suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-venv.sh
paths=()
for path in hub plugins tests benchmarks examples; do [ -e "$path" ] && paths+=("$path"); done
ruff check "${paths[@]}"
exec python -m pytest "$@"
