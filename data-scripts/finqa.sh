#!/usr/bin/env bash
# finqa: download from the Hugging Face Hub and prepare the study's subsets (see fetch-dataset.sh for options).
exec "$(dirname "${BASH_SOURCE[0]}")/fetch-dataset.sh" finqa "$@"
