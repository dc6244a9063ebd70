#!/usr/bin/env bash
# Download one dataset from the Hugging Face Hub and draw the study's subsets from it.
# usage: data-scripts/fetch-dataset.sh finqa|hotpotqa|musique [extra `data download` options, e.g. --hub-url URL]
# Environment: DATA_DIR (default <repo>/data), SEED (default 0), SIZES (default paper), HF_ENDPOINT, HF_TOKEN.
# Result: $DATA_DIR/raw/<task>/ (official files, resumable and cached) and $DATA_DIR/<task>/{train,validation,test}.jsonl
# with manifest.json (the chosen ids). Needs the built CLI (npm run build).
set -euo pipefail
task="${1:?usage: $0 finqa|hotpotqa|musique [data download options]}"
shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DATA_DIR:-$root/data}"
cli="$root/bin/tsallis-run"
if [ ! -f "$root/dist/cli/main.js" ]; then
  echo "$0: build the CLI first (npm run build)" >&2
  exit 1
fi
"$cli" data download --task "$task" --out "$data/raw" "$@"
"$cli" data prepare --task "$task" --input "$data/raw/$task" --out "$data/$task" --sizes "${SIZES:-paper}" --seed "${SEED:-0}"
