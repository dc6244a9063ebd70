# Sourced by the warm-start scripts (warm-t1.sh, warm-once.sh, warm-longer.sh, warm-pool-check.sh), from the repository root.
# t1_eval DIR NAME SPLIT CONFIG CHECKPOINT [--set KEY=VALUE]...: p@1 of CHECKPOINT on SPLIT at the training sampling
# settings (T = 1, top-p 1, top-k 0, the config's 16 samples), one thread, into DIR/NAME (log DIR/NAME-SPLIT.log);
# skipped when DIR/NAME/eval/SPLIT.json exists, so a rerun resumes.
t1_eval() {
  local dir=$1 name=$2 split=$3 config=$4 ckpt=$5
  shift 5
  [[ -f $dir/$name/eval/$split.json ]] && return
  mkdir -p "$dir"
  ./bin/tsallis-run eval --config "$config" --checkpoint "$ckpt" --split "$split" --threads 1 \
    --set eval.temperature=1 --set eval.top_p=1 --set eval.top_k=0 "$@" --out "$dir/$name" \
    > "$dir/$name-$split.log" 2>&1 && echo "$(date +%T) done $name $split"
}
