/** The committed synthetic data (data/mini-*) is exactly what the generator writes from its manifest's seed and sizes. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  generateSplit,
  SYNTHETIC_SPLITS,
  SYNTHETIC_TASKS,
  toJsonl,
  type SyntheticManifest,
} from '../../../src/tasks/synthetic/index.js';

const DATA = fileURLToPath(new URL('../../../data/', import.meta.url));

describe.each(SYNTHETIC_TASKS.map((t) => [t]))('data/%s', (task) => {
  it('regenerates bit for bit from manifest.json', async () => {
    const manifest = JSON.parse(await readFile(join(DATA, task, 'manifest.json'), 'utf8')) as SyntheticManifest;
    expect(manifest.task).toBe(task);
    for (const split of SYNTHETIC_SPLITS) {
      const text = await readFile(join(DATA, task, `${split}.jsonl`), 'utf8');
      expect(text === toJsonl(generateSplit(task, split, manifest.sizes[split], manifest.seed))).toBe(true);
    }
  });
});
