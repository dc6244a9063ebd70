#!/usr/bin/env bash
# Download one dataset from the Hugging Face Hub and draw the study's subsets from it.
# usage: data-scripts/fetch-dataset.sh finqa|hotpotqa|musique [extra `data download` options, e.g. --hub-url URL]
# Environment: DATA_DIR (default <repo>/data), SEED (default 0), SIZES (default paper), and the Hugging Face
# variables: HF_HOME or HF_HUB_CACHE (the cache), HF_ENDPOINT (the Hub or a mirror), HF_TOKEN, HF_HUB_OFFLINE.
# Result: the official files in the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else
# ~/.cache/huggingface/hub; not fetched again when there) and $DATA_DIR/<task>/{train,validation,test}.jsonl
# with manifest.json (the chosen ids and the cached files they came from). Needs the built CLI (npm run build).
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
"$cli" data download --task "$task" "$@"
# prepare reads the default source from the cache; pass --repo / --revision on if they were given to download.
src=()
while [ $# -gt 0 ]; do
  case "$1" in
    --repo|--revision) src+=("$1" "$2"); shift 2 ;;
    --repo=*|--revision=*) src+=("$1"); shift ;;
    *) shift ;;
  esac
done
"$cli" data prepare --task "$task" ${src[@]+"${src[@]}"} --out "$data/$task" --sizes "${SIZES:-paper}" --seed "${SEED:-0}"
