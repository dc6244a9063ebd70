/** log w_m = log p(y* | x*, z_m) against a direct Policy.score sum on a hand-built sequence (tiny model, project tokenizer). */
import { loadModel } from '../../src/model/checkpoint.js';
import { groupCoefficients } from '../../src/objectives/algorithm.js';
import { padBatch } from '../../src/runtime/batch.js';
import { Policy } from '../../src/runtime/policy.js';
import type { Rollout } from '../../src/runtime/rollout.js';
import { answerLogLikelihoods } from '../../src/experiment/likelihood.js';
import { goldAnswerIds } from '../../src/experiment/prompting.js';
import { stopTokensFor } from '../../src/runtime/stop-tokens.js';
import { teacherForcedSequence } from '../../src/experiment/sequences.js';
import { stepCoefficients, type StepContext } from '../../src/experiment/step.js';
import { RandomStreams } from '../../src/experiment/streams.js';
import { loadTaskContext } from '../../src/experiment/task-data.js';
import { questionItem } from '../../src/experiment/items.js';
import { PhaseTimer } from '../../src/experiment/timer.js';
import { Rng } from '../../src/util/rng.js';
import { scratchWithModel, testConfig, type Scratch } from './helpers.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(5);
});
afterAll(async () => s.cleanup());

describe('answer log-likelihood', () => {
  it('equals the sum of Policy.score over the gold answer tokens of prompt ++ z ++ </think> ++ y*', async () => {
    const m = await loadModel(s.model);
    const tok = m.tokenizer;
    const policy = new Policy(m.config, m.weights, { threads: 1 });
    const stop = stopTokensFor(tok);
    expect(tok.decode(stop.forceCloseIds)).toBe('\n</think>\n\n');

    const prompt = tok.encode(
      tok.applyChatTemplate([{ role: 'user', content: 'What is 2+3?' }], { addGenerationPrompt: true }),
    );
    const z = tok.encode('<think>\nTwo plus three.');
    const y = [...tok.encode('5'), tok.tokenToId('<|im_end|>')!];
    expect(
      goldAnswerIds(tok, { task: 'hotpotqa', answer: '{{answer}}', warm: {} as never, cold: {} as never }, '5'),
    ).toEqual(y);
    // the hand-built sequence, and the direct sum
    const ids = [...prompt, ...z, ...stop.forceCloseIds, ...y];
    const direct = await policy.score(padBatch([ids], tok.padTokenId));
    let expected = 0;
    for (let t = ids.length - y.length; t < ids.length; t++) expected += direct[t - 1]!;

    // the same sequence from a rollout whose thinking was cut at its budget
    const rollout: Rollout = {
      prompt: 0,
      sample: 0,
      tokens: [...z, ...stop.forceCloseIds, ...tok.encode('7')],
      logprobs: [],
      samplingLogprobs: [],
      rationale: [1, z.length],
      answer: [z.length + stop.forceCloseIds.length, z.length + stop.forceCloseIds.length + 1],
      finishReason: 'length',
      thinkingForced: true,
    };
    const seq = teacherForcedSequence(prompt, rollout, y, stop);
    expect(seq.ids).toEqual(ids);
    const other = teacherForcedSequence(
      prompt,
      {
        ...rollout,
        tokens: [...tok.encode('<think>\nA longer rationale, to pad the batch.'), ...stop.forceCloseIds],
        rationale: [1, 12],
        thinkingForced: false,
      },
      y,
      stop,
    );
    // batched with a longer sequence (right padding), and alone
    const [batched] = await answerLogLikelihoods(policy, [seq, other], tok.padTokenId, 1000);
    const [alone] = await answerLogLikelihoods(policy, [seq], tok.padTokenId, 1);
    expect(alone).toBeCloseTo(expected, 10);
    expect(batched).toBeCloseTo(expected, 4);
    // The shared-prefix score graph: the prompt once for both sequences (and alone), the same sum.
    const counted: number[] = [];
    const options = { sharedPrompt: true, tokens: (n: number) => counted.push(n) };
    const [shared] = await answerLogLikelihoods(policy, [seq, other], tok.padTokenId, 1000, options);
    const [sharedAlone] = await answerLogLikelihoods(policy, [seq], tok.padTokenId, 1, options);
    expect(shared).toBeCloseTo(expected, 4);
    expect(sharedAlone).toBeCloseTo(expected, 4);
    expect(seq.promptLength).toBe(prompt.length);
    const longest = Math.max(seq.ids.length, other.ids.length) - (prompt.length - 1);
    expect(counted).toEqual([prompt.length - 1 + 2 * longest, seq.ids.length]);
    expect(expected).toBeLessThan(0);
  });

  it('a GARL step scores its rollouts and hands log w_m to the objective', async () => {
    const m = await loadModel(s.model);
    const tok = m.tokenizer;
    const policy = new Policy(m.config, m.weights, { threads: 1 });
    const config = testConfig(s, 'garl', '/unused');
    const task = await loadTaskContext(config);
    const record = {
      task: 'hotpotqa' as const,
      id: 'x',
      question: 'What is 2+3?',
      context: '',
      answer: '5',
      aliases: [],
      meta: { type: '', level: '', supportingFacts: [] },
    };
    const item = questionItem(tok, task, record);
    const stop = stopTokensFor(tok);
    const mk = (text: string, forced: boolean): Rollout => {
      const tokens = tok.encode(text);
      return {
        prompt: 0,
        sample: 0,
        tokens,
        logprobs: [],
        samplingLogprobs: [],
        rationale: [0, tokens.length],
        answer: [tokens.length, tokens.length],
        finishReason: 'length',
        thinkingForced: forced,
      };
    };
    const rollouts = [mk('one two', true), mk('three', false)];
    const ctx = {
      algorithm: { name: 'garl', q: 0.5 },
      aggregation: 'group-mean',
      policy,
      tokenizer: tok,
      task: 'hotpotqa',
      stop,
      rollout: { samplesPerPrompt: 2 },
      microBatchTokens: 64,
      streams: RandomStreams.fromSeed(0),
    } as unknown as StepContext;
    const { groups, diagnostics } = await stepCoefficients(
      ctx,
      0,
      [item],
      { rollouts: [rollouts], completions: [['', '']], answers: [['', '']], rewards: [[0, 0]] },
      new PhaseTimer(),
    );
    const seqs = rollouts.map((r) => teacherForcedSequence(item.prompt, r, item.answerIds!, stop));
    expect(groups[0]!.sequences).toEqual(seqs);
    const logW = await answerLogLikelihoods(policy, seqs, tok.padTokenId, 1);
    const want = groupCoefficients(
      { name: 'garl', q: 0.5 },
      { logAnswerLikelihoods: logW },
      { step: 0, rng: new Rng(0) },
    );
    groups[0]!.coefficients.forEach((c, i) => {
      expect(c.rationale).toBeCloseTo(want.sequences[i]!.rationale, 10);
      expect(c.answer).toBeCloseTo(want.sequences[i]!.answer, 10);
    });
    expect(diagnostics[0]!.W).toBeCloseTo(want.diagnostics.W!, 12);
  });
});
