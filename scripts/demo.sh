#!/usr/bin/env bash
# Set up .venv and run likelihub's main job (fit, CLs with expected band, upper limit) on the
# small example model shipped in the repository (examples/data), no network needed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-venv.sh
exec likelihub demo "$@"
