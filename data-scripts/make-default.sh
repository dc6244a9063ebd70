#!/usr/bin/env bash
# Regenerates the embedded default's committed artefacts from seeds:
#   data/mini-{finqa,hotpotqa,musique}/   synthetic tasks (train/validation/test.jsonl + manifest.json)
#   models/tiny-base/                     the tiny base model: init-model --preset tiny, then two SFT stages
#                                         with the project's own trainer (warm gold pairs, cold decoy pairs)
#   configs/mini/                         the 48 mini experiment configs
# Usage: data-scripts/make-default.sh [--data-only]   (run from anywhere; needs `npm ci` done, i.e. dist/ built)
#
# Everything is deterministic: the data is pure TypeScript over src/util/rng.ts and regenerates bit for bit
# (test/tasks/synthetic/committed.test.ts checks it). The SFT runs with threads: 1, because onnxruntime's
# multi-threaded reductions round differently from run to run (two runs with threads: 2 differ in the last
# bits after one step); with one thread two runs give the same bytes. A CPU with other vector instructions
# may still round differently. The two SFT runs take about 25-35 minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUN="./bin/tsallis-run"
WORK="results/runs/tiny-base"          # scratch (git-ignored)

# 1. The synthetic tasks: 256 train, 128 validation, 256 test questions each, seed 0.
"$RUN" data synth --task all --out data --seed 0 --sizes 256/128/256
node data-scripts/make-mini-configs.mjs configs/mini
[[ "${1:-}" == "--data-only" ]] && exit 0

# 2. The randomly initialised tiny Qwen3 (0.9M parameters, the project tokenizer with 1024 ids).
rm -rf "$WORK"
mkdir -p "$WORK"
"$RUN" init-model --preset tiny --seed 0 --out "$WORK/init"

# 3. The SFT mixture, on fresh generator records (split "sft", never a train/validation/test record): warm
#    prompts with gold rationales + answers (12,000 pairs, half of them mini-FinQA), and cold prompts (no
#    instruction) whose rationale stops one step short of the answer and whose answer is ALWAYS the decoy
#    "unclear" (9,000 "unfinished" pairs). So the base model, like the study's Qwen3 at cold start, reasons
#    but does not answer what a bare linearised input asks for, at the training temperature too; and since
#    its cold thinking never states the answer, every gold answer token is unlikely, not just the first
#    (cold mini-FinQA: no success in 5,120 rollouts at T = 1, median log W about -22 nats; `tsallis-run
#    probe` and data-scripts/mini-probe.sh measure it). Warm prompts still get answered.
"$RUN" data sft-mix --seed 1 --prompts configs/prompts/mini --out "$WORK/sft.jsonl" \
  --part mini-finqa:warm:6000 --part mini-hotpotqa:warm:3000 --part mini-musique:warm:3000 \
  --part mini-finqa:cold:4500:unfinished --part mini-hotpotqa:cold:2250:unfinished --part mini-musique:cold:2250:unfinished

# 4. SFT with the project's trainer (data-scripts/tiny-base-sft.yaml, 1,000 steps).
"$RUN" train --config data-scripts/tiny-base-sft.yaml

# 5. A second, short SFT stage (data-scripts/tiny-base-sharpen.yaml, 200 steps at the first stage's final learning
#    rate) on fresh pairs (seed 2), three in four cold "unfinished" ones: it sharpens the cold behaviour (median log W
#    on cold mini-FinQA -19.7 -> -20.6 nats) and keeps the warm one. Then keep the Hugging Face files of its last
#    checkpoint (bf16) as models/tiny-base.
"$RUN" data sft-mix --seed 2 --prompts configs/prompts/mini --out "$WORK/sharpen.jsonl" \
  --part mini-finqa:cold:1500:unfinished --part mini-hotpotqa:cold:750:unfinished --part mini-musique:cold:750:unfinished \
  --part mini-finqa:warm:500 --part mini-hotpotqa:warm:250 --part mini-musique:warm:250
"$RUN" train --config data-scripts/tiny-base-sharpen.yaml
# checkpoint-N holds N optimizer steps (checkpoint-200 here; an earlier version named it step-199).
LAST="$WORK/sharpen/checkpoints/checkpoint-$(ls "$WORK"/sharpen/checkpoints | sed -n 's/^checkpoint-//p' | sort -n | tail -1)"
rm -rf models/tiny-base
mkdir -p models/tiny-base
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json; do
  cp "$LAST/$f" models/tiny-base/
done
sha256sum models/tiny-base/model.safetensors
