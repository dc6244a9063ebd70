/**
 * From records to token ids: the prompt (warm or cold, through the model's chat template), the gold
 * answer as it is teacher-forced after a rationale, and SFT targets.
 *
 * Decisions (the paper is silent on them):
 * - The close of thinking is src/runtime/stop-tokens.ts's FORCED_CLOSE_TEXT, `\n</think>\n\n` (Qwen3 renders
 *   `<think>\n...\n</think>\n\n<answer>`); it is what generation forces when the thinking budget runs out.
 * - The gold answer y* is `renderAnswer(template, answer)` followed by the end-of-turn token
 *   (`<|im_end|>`, else the first eos id). So w_m = p(y* | x*, z_m) is the probability of answering
 *   exactly y* and then stopping, the event the exact-match reward scores; and SFT/PAFT on y* teach
 *   the model to stop after the answer.
 * - After a rationale that closed itself with `</think>`, the separator that follows it in the forced close
 *   (`\n\n`, closeSuffix) is teacher-forced outside both z and y*, as the whole forced close is after a
 *   budget-forced rationale: w_m = p(y* | x*, z_m, separator). The separator is the chat template's
 *   formatting between thinking and answer; the exact-match reward does not score it either, and counting
 *   it in one case but not the other would make W depend on how the rationale ended.
 */
import type { Tokenizer } from '../model/tokenizer.js';
import type { StopTokens } from '../runtime/rollout.js';
import {
  renderAnswer,
  renderPrompt,
  type PromptMode,
  type PromptTemplate,
  type RenderedPrompt,
} from '../tasks/prompts.js';
import type { TaskRecord } from '../tasks/record.js';

/** The tokens after `</think>` in the forced close (the separator a self-closed rationale is followed by). */
export function closeSuffix(stop: StopTokens): number[] {
  const at = stop.thinkEndId === undefined ? -1 : stop.forceCloseIds.indexOf(stop.thinkEndId);
  return at < 0 ? [] : stop.forceCloseIds.slice(at + 1);
}

/** The end-of-turn id appended to targets: `<|im_end|>` when the vocabulary has it, else the first eos id. */
export function endOfTurnId(tokenizer: Tokenizer): number {
  return tokenizer.tokenToId('<|im_end|>') ?? tokenizer.eosTokenIds[0]!;
}

/** The prompt text of a rendered prompt: the chat template with the generation prompt, or the plain messages. */
export function promptText(tokenizer: Tokenizer, p: RenderedPrompt): string {
  if (!p.chatTemplate) return p.messages.map((m) => m.content).join('\n\n');
  return tokenizer.applyChatTemplate(p.messages, { addGenerationPrompt: true, enableThinking: p.enableThinking });
}

/** Prompt ids of a record in the warm or cold start. */
export function promptIds(
  tokenizer: Tokenizer,
  template: PromptTemplate,
  mode: PromptMode,
  record: Pick<TaskRecord, 'context' | 'question'>,
): number[] {
  return tokenizer.encode(promptText(tokenizer, renderPrompt(template, mode, record)));
}

/** y*: the rendered gold answer and the end-of-turn token. */
export function goldAnswerIds(tokenizer: Tokenizer, template: PromptTemplate, answer: string): number[] {
  return [...tokenizer.encode(renderAnswer(template, answer)), endOfTurnId(tokenizer)];
}

/**
 * The ids of an assistant turn `content` after a prompt, as the chat template renders it (for Qwen3
 * with thinking on: `<think>\n\n</think>\n\n` + content), ending with the end-of-turn token. Without
 * a chat template: the content and the end-of-turn token.
 */
export function assistantTargetIds(tokenizer: Tokenizer, p: RenderedPrompt, content: string): number[] {
  const eot = endOfTurnId(tokenizer);
  if (!p.chatTemplate) return [...tokenizer.encode(content), eot];
  const prompt = promptText(tokenizer, p);
  const full = tokenizer.applyChatTemplate([...p.messages, { role: 'assistant', content }], {
    enableThinking: p.enableThinking,
  });
  let target = full.startsWith(prompt) ? full.slice(prompt.length) : content;
  const eotText = tokenizer.idToToken(eot);
  const cut = eotText === undefined ? -1 : target.lastIndexOf(eotText);
  if (cut >= 0) target = target.slice(0, cut);
  return [...tokenizer.encode(target), eot];
}
