/**
 * Where each dataset is downloaded from (the Hugging Face Hub; the official hosts are not on the Hub).
 *  - FinQA: TableQAKit/FinQA_retrieval, the official train.json / dev.json / test.json.
 *  - HotPotQA: hotpotqa/hotpot_qa, the Hub's auto-converted parquet (revision refs/convert/parquet), config
 *    distractor, splits train and validation, shards NNNN.parquet.
 *  - MuSiQue: dgslibisey/MuSiQue, the official musique_ans_v1.0_{train,dev}.jsonl (answerable subset; the
 *    test file has no answers).
 * Files land in <out>/<task>/ under their path in the repository, so `data prepare --input <out>/<task>` finds them.
 */
import type { TaskName } from '../tasks/record.js';

export type SourceItem =
  /** One file at this path. */
  | { file: string }
  /** Parquet shards <dir>/0000.parquet, 0001.parquet, ... up to the first that does not exist. */
  | { shards: string };

export interface DatasetSource {
  repo: string;
  revision: string;
  items: SourceItem[];
}

export const SOURCES: Record<TaskName, DatasetSource> = {
  finqa: { repo: 'TableQAKit/FinQA_retrieval', revision: 'main', items: [{ file: 'train.json' }, { file: 'dev.json' }, { file: 'test.json' }] },
  hotpotqa: { repo: 'hotpotqa/hotpot_qa', revision: 'refs/convert/parquet', items: [{ shards: 'distractor/train' }, { shards: 'distractor/validation' }] },
  musique: {
    repo: 'dgslibisey/MuSiQue',
    revision: 'main',
    items: [{ file: 'musique_ans_v1.0_train.jsonl' }, { file: 'musique_ans_v1.0_dev.jsonl' }],
  },
};

/** The path of shard i of a shard directory. */
export function shardPath(dir: string, i: number): string {
  return `${dir}/${String(i).padStart(4, '0')}.parquet`;
}
