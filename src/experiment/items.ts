/**
 * What a training step consumes, built from the task: for rollout algorithms a question's prompt,
 * gold answers and gold answer ids; for SFT a prompt and the assistant turn to learn (the gold
 * answer rendered by the chat template, or a pair from algorithm.data).
 */
import type { Tokenizer } from '../model/tokenizer.js';
import { renderAnswer, renderPrompt, type RenderedPrompt } from '../tasks/prompts.js';
import { goldAnswers, type TaskRecord } from '../tasks/record.js';
import { assistantTargetIds, goldAnswerIds, promptText } from './prompting.js';
import type { StepItem } from './step.js';
import type { SftPair, TaskContext } from './task-data.js';

/** A question for GRPO, RLOO, GARL and PAFT. */
export function questionItem(tokenizer: Tokenizer, task: TaskContext, record: TaskRecord): StepItem {
  const prompt = tokenizer.encode(promptText(tokenizer, renderPrompt(task.template, task.mode, record)));
  return {
    id: record.id,
    prompt,
    golds: goldAnswers(record),
    record,
    answerIds: goldAnswerIds(tokenizer, task.template, record.answer),
  };
}

/** SFT on a record: the prompt, and the gold answer as the assistant's turn. */
export function sftRecordItem(tokenizer: Tokenizer, task: TaskContext, record: TaskRecord): StepItem {
  const rendered = renderPrompt(task.template, task.mode, record);
  return sftItem(tokenizer, record.id, rendered, renderAnswer(task.template, record.answer));
}

/** SFT on a {prompt, target} pair: the prompt is the user message, in the task's prompt mode (chat template, thinking flag). */
export function sftPairItem(tokenizer: Tokenizer, task: TaskContext, pair: SftPair): StepItem {
  const m = task.template[task.mode];
  const rendered: RenderedPrompt = {
    messages: [{ role: 'user', content: pair.prompt }],
    chatTemplate: m.chat_template,
    enableThinking: m.enable_thinking,
  };
  return sftItem(tokenizer, pair.id, rendered, pair.target);
}

function sftItem(tokenizer: Tokenizer, id: string, rendered: RenderedPrompt, content: string): StepItem {
  return {
    id,
    prompt: tokenizer.encode(promptText(tokenizer, rendered)),
    target: assistantTargetIds(tokenizer, rendered, content),
  };
}
