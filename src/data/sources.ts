/**
 * Where each dataset is downloaded from (the Hugging Face Hub; the official hosts are not on the Hub).
 *  - FinQA: TableQAKit/FinQA_retrieval, the official train.json / dev.json / test.json.
 *  - HotPotQA: hotpotqa/hotpot_qa, the Hub's auto-converted parquet (revision refs/convert/parquet), config
 *    distractor, splits train and validation, shards NNNN.parquet.
 *  - MuSiQue: dgslibisey/MuSiQue, the official musique_ans_v1.0_{train,dev}.jsonl (answerable subset; the
 *    test file has no answers).
 * Every source is on the Hub: `data download` fetches its files into the Hugging Face cache (src/hub/), where
 * `data prepare` finds them without --input. There are no sources elsewhere (GitHub and the like) at present.
 */
import type { TaskName } from '../tasks/record.js';

export type SourceItem =
  /** One file at this path. */
  | { file: string }
  /** Parquet shards <dir>/0000.parquet, 0001.parquet, ...: every NNNN.parquet file in the folder, in name order. */
  | { shards: string };

export interface DatasetSource {
  repo: string;
  revision: string;
  items: SourceItem[];
}

export const SOURCES: Record<TaskName, DatasetSource> = {
  finqa: {
    repo: 'TableQAKit/FinQA_retrieval',
    revision: 'main',
    items: [{ file: 'train.json' }, { file: 'dev.json' }, { file: 'test.json' }],
  },
  hotpotqa: {
    repo: 'hotpotqa/hotpot_qa',
    revision: 'refs/convert/parquet',
    items: [{ shards: 'distractor/train' }, { shards: 'distractor/validation' }],
  },
  musique: {
    repo: 'dgslibisey/MuSiQue',
    revision: 'main',
    items: [{ file: 'musique_ans_v1.0_train.jsonl' }, { file: 'musique_ans_v1.0_dev.jsonl' }],
  },
};

/** A parquet shard's file name: 0000.parquet, 0001.parquet, ... */
export const SHARD_NAME = /^\d+\.parquet$/;
