#!/usr/bin/env bash
# Regenerates the embedded default's committed artefacts from seeds:
#   data/mini-{finqa,hotpotqa,musique}/   synthetic tasks (train/validation/test.jsonl + manifest.json)
#   models/tiny-base/                     the tiny base model: init-model --preset tiny, then a short SFT
#                                         run with the project's own trainer on gold rationales
#   configs/mini/                         the 48 mini experiment configs
# Usage: data-scripts/make-default.sh [--data-only]   (run from anywhere; needs `npm ci` done, i.e. dist/ built)
#
# Everything is deterministic: the data is pure TypeScript over src/util/rng.ts and regenerates bit for bit
# (test/tasks/synthetic/committed.test.ts checks it). The SFT runs with threads: 1, because onnxruntime's
# multi-threaded reductions round differently from run to run (two runs with threads: 2 differ in the last
# bits after one step); with one thread two runs give the same bytes. A CPU with other vector instructions
# may still round differently. The SFT run takes about 10-15 minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUN="./bin/tsallis-run"
WORK="results/runs/tiny-base"          # scratch (git-ignored)

# 1. The synthetic tasks: 256 train, 32 validation, 64 test questions each, seed 0.
"$RUN" data synth --task all --out data --seed 0 --sizes 256/32/64
node data-scripts/make-mini-configs.mjs configs/mini
[[ "${1:-}" == "--data-only" ]] && exit 0

# 2. The randomly initialised tiny Qwen3 (0.9M parameters, the project tokenizer with 1024 ids).
rm -rf "$WORK"
mkdir -p "$WORK"
"$RUN" init-model --preset tiny --seed 0 --out "$WORK/init"

# 3. The SFT mixture, on fresh generator records (split "sft", never a train/validation/test record), half
#    of each part mini-FinQA: warm prompts with gold rationales + answers (12,000 pairs); cold prompts
#    (no instruction) with the gold rationale but, four times in five, the decoy answer "unclear" (3,000).
#    So the base model, like the study's Qwen3 at cold start, reasons but rarely answers what a bare
#    linearised input asks for: its cold-start P is small but not zero, its warm start clearly higher.
"$RUN" data sft-mix --seed 1 --prompts configs/prompts/mini --out "$WORK/sft.jsonl" \
  --part mini-finqa:warm:6000 --part mini-hotpotqa:warm:3000 --part mini-musique:warm:3000 \
  --part mini-finqa:cold:1200:decoy --part mini-hotpotqa:cold:600:decoy --part mini-musique:cold:600:decoy \
  --part mini-finqa:cold:300 --part mini-hotpotqa:cold:150 --part mini-musique:cold:150

# 4. SFT with the project's trainer (data-scripts/tiny-base-sft.yaml), then keep the Hugging Face files
#    of its last checkpoint (bf16) as models/tiny-base.
"$RUN" train --config data-scripts/tiny-base-sft.yaml
LAST="$(ls -d "$WORK"/sft/checkpoints/step-* | sort -t- -k2 -n | tail -1)"
rm -rf models/tiny-base
mkdir -p models/tiny-base
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json; do
  cp "$LAST/$f" models/tiny-base/
done
sha256sum models/tiny-base/model.safetensors
