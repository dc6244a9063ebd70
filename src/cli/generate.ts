/**
 * `tsallis-run generate`: sample completions from a model, a whole batch in one graph run. With
 * --chat the prompt goes through the model's chat template (thinking on unless --no-thinking).
 */
import type { Argv, CommandModule } from 'yargs';
import { loadModel } from '../model/checkpoint.js';
import { resolveCheckpointDir } from '../experiment/trainer-checkpoint.js';
import { resolveModelPath } from '../model/download.js';
import { generate } from '../runtime/generate.js';
import { Policy } from '../runtime/policy.js';
import { stopTokensFor } from '../runtime/stop-tokens.js';
import type { GenerateOptions } from '../runtime/rollout.js';
import { UserError } from '../errors.js';
import { checkSequences } from '../experiment/input-limits.js';
import { integerFlag, MODEL_OPTION, type RuntimeArgs, withRuntimeOptions } from './options.js';

interface GenerateArgs extends RuntimeArgs {
  model: string;
  prompt: string[];
  chat: boolean;
  thinking: boolean;
  n: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  thinkingBudget?: number;
  answerBudget?: number;
  seed: number;
  json: boolean;
}

function numberFlag(flag: string, lo: number, hi: number, loOpen = false) {
  return (raw: unknown): number => {
    const v = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (String(raw).trim() === '' || !Number.isFinite(v) || (loOpen ? v <= lo : v < lo) || v > hi) {
      throw new UserError(
        `--${flag}: expected a number in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(raw)}`,
      );
    }
    return v;
  };
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Sample completions from a model (a whole batch in one ONNX Loop run)',
  builder: (y: Argv) =>
    withRuntimeOptions(y)
      .option('model', MODEL_OPTION)
      .option('prompt', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Prompt text; repeat the flag for a batch of prompts',
      })
      .option('chat', {
        type: 'boolean',
        default: false,
        describe: "Render each prompt as a user turn through the model's chat template",
      })
      .option('thinking', {
        type: 'boolean',
        default: true,
        describe: 'With --chat: enable_thinking for the template (--no-thinking turns it off)',
      })
      .option('n', {
        default: 1,
        describe: 'Completions per prompt (the prompt is prefilled once)',
        coerce: integerFlag('n', { min: 1 }),
      })
      .option('max-new-tokens', {
        default: 128,
        describe: 'Most tokens generated per completion',
        coerce: integerFlag('max-new-tokens', { min: 1 }),
      })
      .option('temperature', {
        default: 1,
        describe: 'Sampling temperature; 0 is greedy',
        coerce: numberFlag('temperature', 0, 100),
      })
      .option('top-p', {
        default: 1,
        describe: 'Nucleus sampling mass (1: off)',
        coerce: numberFlag('top-p', 0, 1, true),
      })
      .option('top-k', {
        default: 0,
        describe: 'Keep the k most likely tokens (0: off)',
        coerce: integerFlag('top-k', { min: 0 }),
      })
      .option('thinking-budget', {
        describe: 'Rationale tokens before </think> is forced (s1-style budget)',
        coerce: integerFlag('thinking-budget', { min: 0 }),
      })
      .option('answer-budget', {
        describe: 'Answer tokens allowed after thinking closes',
        coerce: integerFlag('answer-budget', { min: 1 }),
      })
      .option('seed', {
        default: 0,
        describe: 'Seed of the sampling noise: the same seed gives the same completions',
        coerce: integerFlag('seed', { min: 0 }),
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print one JSON object per completion (tokens, log-probs, spans, finish reason)',
      }) as unknown as Argv<GenerateArgs>,
  handler: async (args) => {
    const model = await loadModel((await resolveModelPath(await resolveCheckpointDir(args.model), '--model')).dir);
    const tok = model.tokenizer;
    const prompts = args.prompt.map((text) =>
      tok.encode(
        args.chat
          ? tok.applyChatTemplate([{ role: 'user', content: text }], {
              addGenerationPrompt: true,
              enableThinking: args.thinking,
            })
          : text,
      ),
    );
    const after = { tokens: args.maxNewTokens, setting: '--max-new-tokens' };
    await checkSequences(
      prompts.length,
      (i) => ({ prompt: prompts[i]!.length, after }),
      { maxPositions: model.config.maxPositionEmbeddings },
      (indices) => indices.map((i) => `--prompt ${i + 1}`),
    );
    const policy = new Policy(model.config, model.weights, { device: args.device, threads: args.threads });
    const options: GenerateOptions = {
      samplesPerPrompt: args.n,
      maxNewTokens: args.maxNewTokens,
      temperature: args.temperature,
      topP: args.topP,
      topK: args.topK,
      thinkingBudget: args.thinkingBudget,
      answerBudget: args.answerBudget,
      stop: stopTokensFor(tok),
      seed: args.seed,
    };
    const rollouts = await generate(policy, prompts, options, tok.padTokenId);
    for (const r of rollouts) {
      const text = tok.decode(r.tokens, { skipSpecialTokens: false });
      if (args.json) {
        process.stdout.write(JSON.stringify({ ...r, text }) + '\n');
      } else {
        process.stdout.write(
          `--- prompt ${r.prompt}, sample ${r.sample} (${r.finishReason}${r.thinkingForced ? ', thinking budget forced' : ''}, ${r.tokens.length} tokens)\n${text}\n`,
        );
      }
    }
  },
};
