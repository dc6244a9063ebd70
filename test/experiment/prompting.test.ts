/** Prompts, gold answers and SFT targets through the project tokenizer's chat template. */
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { writeProjectTokenizer } from '../../src/model/tokenizer-project.js';
import { sftPairItem, sftRecordItem, questionItem } from '../../src/experiment/items.js';
import { closeSuffix } from '../../src/experiment/prompting.js';
import { stopTokensFor } from '../../src/runtime/stop-tokens.js';
import { sftSequence } from '../../src/experiment/sequences.js';
import { loadTaskContext } from '../../src/experiment/task-data.js';
import type { Tokenizer } from '../../src/model/tokenizer.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from './helpers.js';

let dir: string;
let tok: Tokenizer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsallis-tok-'));
  await writeProjectTokenizer(dir, { vocabSize: 1024 });
  tok = await loadTokenizer(dir);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const record = {
  task: 'hotpotqa' as const,
  id: 'r1',
  question: 'What is 2+3?',
  context: '',
  answer: '5',
  aliases: ['five'],
  meta: { type: '', level: '', supportingFacts: [] },
};
const taskOf = (start: 'cold' | 'warm') =>
  loadTaskContext({
    task: { name: 'mini-hotpotqa', start, prompts: join(FIXTURES, 'prompts'), data_dir: join(FIXTURES, 'task') },
  });

describe('prompting', () => {
  it('stop tokens: eos ids and the forced close with its separators', () => {
    const stop = stopTokensFor(tok);
    expect(stop.eosIds).toEqual(tok.eosTokenIds);
    expect(tok.decode(stop.forceCloseIds)).toBe('\n</think>\n\n');
    expect(tok.decode(closeSuffix(stop))).toBe('\n\n');
  });

  it('questions: chat-templated prompt (cold and warm), golds with aliases, y* ending in <|im_end|>', async () => {
    const cold = questionItem(tok, await taskOf('cold'), record);
    expect(tok.decode(cold.prompt)).toBe('<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n');
    expect(tok.decode(questionItem(tok, await taskOf('warm'), record).prompt)).toContain(
      'What is 2+3? Answer with a number.',
    );
    expect(cold.golds).toEqual(['5', 'five']);
    expect(tok.decode(cold.answerIds!)).toBe('5<|im_end|>');
  });

  it('SFT targets: the assistant turn as the chat template renders it', async () => {
    const item = sftRecordItem(tok, await taskOf('cold'), record);
    expect(tok.decode(item.target!)).toBe('<think>\n\n</think>\n\n5<|im_end|>');
    const seq = sftSequence(item.prompt, item.target!, tok.thinkEndId);
    expect(tok.decode(seq.answer.map((t) => seq.ids[t]!))).toBe('\n\n5<|im_end|>');
    const pair = sftPairItem(tok, await taskOf('cold'), {
      id: 'p',
      prompt: 'Hi',
      target: '<think>\nsay hi\n</think>\n\nhello',
    });
    expect(tok.decode(pair.prompt)).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(tok.decode(pair.target!)).toBe('<think>\nsay hi\n</think>\n\nhello<|im_end|>');
  });
});
