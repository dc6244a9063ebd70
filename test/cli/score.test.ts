import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScoreInput, runScore, shortestFloat32, defaultBatchTokens } from '../../src/cli/score.js';
import { UserError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/model/checkpoint.js';
import type { ModelConfig } from '../../src/model/config.js';
import { randomWeights } from '../../src/model/init.js';
import { PRESET_CONFIGS } from '../../src/model/presets.js';
import { writeProjectTokenizer } from '../../src/model/tokenizer-project.js';
import { padBatch } from '../../src/runtime/batch.js';
import { Policy } from '../../src/runtime/policy.js';
import { Rng } from '../../src/util/rng.js';

/** The tiny preset's family and tokenizer (1024 ids) at a fraction of its width. */
const config: ModelConfig = {
  ...PRESET_CONFIGS.tiny,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 48,
};

let root: string;
let modelDir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'score-test-'));
  const tok = join(root, 'tok');
  await writeProjectTokenizer(tok, { vocabSize: 1024 });
  modelDir = join(root, 'model');
  await saveModel(modelDir, { config, weights: randomWeights(config, 1, 0.1), tokenizerDir: tok });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('defaultBatchTokens', () => {
  it('keeps about 1 GiB of logits for large vocabularies', () => {
    expect(defaultBatchTokens(1024)).toBe(16384);
    expect(defaultBatchTokens(151936)).toBe(1766);
  });
});

describe('shortestFloat32', () => {
  it('reads back as the same float32 with at most 9 significant digits', () => {
    const rng = new Rng(8);
    for (let i = 0; i < 2000; i++) {
      const x = Math.fround(-20 * rng.uniform() * 10 ** (rng.int(7) - 3));
      const y = shortestFloat32(x);
      expect(Math.fround(y)).toBe(x);
      expect(String(y).replace(/^-?0?\.?0*|e.*$|\./g, '').length).toBeLessThanOrEqual(9);
    }
  });
});

describe('runScore', () => {
  it('writes ids and log-probs equal to Policy.score for each line, in input order, across many batches', async () => {
    const rng = new Rng(5);
    const lines: string[] = [];
    const words = ['The', ' answer', ' is', ' 42', '.', ' Paris', ' <think>', 'ok', '</think>', '\n'];
    for (let i = 0; i < 40; i++) {
      if (i % 3 === 0)
        lines.push(JSON.stringify({ id: i, ids: Array.from({ length: rng.int(30) }, () => rng.int(1024)) }));
      else
        lines.push(
          JSON.stringify({
            id: i,
            text: Array.from({ length: rng.int(25) }, () => words[rng.int(words.length)]).join(''),
          }),
        );
      if (i === 10) lines.push('   ');
    }
    const input = join(root, 'in.jsonl');
    const out = join(root, 'out', 'scores.jsonl');
    await writeFile(input, `${lines.join('\n')}\n`);
    const r = await runScore({
      model: modelDir,
      input,
      out,
      batchTokens: 64,
      device: 'cpu',
      threads: 1,
      progress: false,
    });
    expect(r.sequences).toBe(40);

    const { tokenizer, weights } = await loadModel(modelDir);
    const policy = new Policy(config, weights, { threads: 1 });
    const output = (await readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(output.map((o) => o.id)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    let tokens = 0;
    for (const o of output) {
      const ids: number[] = o.text !== undefined ? tokenizer.encode(o.text) : o.ids;
      expect(o.ids).toEqual(ids);
      tokens += ids.length;
      expect(o.logprobs).toHaveLength(Math.max(0, ids.length - 1));
      if (ids.length < 2) continue;
      const alone = await policy.score(padBatch([ids], tokenizer.padTokenId));
      for (let t = 0; t < ids.length - 1; t++) expect(Math.abs(o.logprobs[t] - alone[t]!)).toBeLessThan(1e-5);
    }
    expect(r.tokens).toBe(tokens);
  });

  it.each([
    ['{"text": "a"', /: not valid JSON/],
    ['[1, 2, 3]', /: expected a JSON object with "text" \(a string\) or "ids" \(a list of token ids\), got a list/],
    ['{"prompt": "a"}', /: expected a JSON object .*; the object has neither/],
    ['{"text": 5}', /: "text": expected a string, got number 5/],
    ['{"ids": "1 2"}', /: "ids": expected a list of token ids, got a string/],
    ['{"ids": [1, 2.5]}', /: "ids"\[1\]: expected an integer token id in \[0, 1024\), got 2.5/],
    ['{"ids": [1, 1024]}', /: "ids"\[1\]: expected an integer token id in \[0, 1024\), got 1024/],
    ['{"ids": [-1]}', /: "ids"\[0\]: expected an integer token id/],
    ['{"ids": [1], "text": "a"}', /: give "text" or "ids", not both/],
  ])('reports the bad line %s with file:line and what was expected', async (line, pattern) => {
    const input = join(root, 'bad.jsonl');
    const out = join(root, 'bad-out.jsonl');
    await writeFile(input, `{"text": "fine"}\n\n${line}\n{"ids": [1, 2]}\n`); // the bad line is line 3
    const err = await runScore({ model: modelDir, input, out, device: 'cpu', progress: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(`${input}:3: `);
    expect((err as Error).message).toMatch(pattern);
    await expect(stat(out)).rejects.toThrow(); // no output for a bad input
  });

  it('refuses a sequence longer than max_position_embeddings before scoring, naming its line', async () => {
    const input = join(root, 'long.jsonl');
    const out = join(root, 'long-out.jsonl');
    await writeFile(
      input,
      `{"text": "fine"}\n\n${JSON.stringify({ text: 'lorem ipsum dolor sit amet '.repeat(1000) })}\n`,
    );
    const err = await runScore({ model: modelDir, input, out, device: 'cpu', progress: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      new RegExp(`^${input}:3: [\\d,]+ tokens, more than the model's max_position_embeddings 8,192$`),
    );
    await expect(stat(out)).rejects.toThrow();
  });

  it('names --input when the file cannot be read', async () => {
    await expect(readScoreInput(join(root, 'missing.jsonl'), 10)).rejects.toThrow(
      /--input: cannot read .*missing\.jsonl \(file not found\)/,
    );
  });
});
