/**
 * Prompt templates, kept in configs/prompts/<task>.yaml (not in code). A template fills {{context}} and
 * {{question}} from a record; rendering into tokens (the model's chat template, thinking on or off) is the
 * tokenizer's job, so this module returns chat messages plus the two flags that job needs.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { parseWith, type AnswerTask, type TaskRecord } from './record.js';

/** configs/prompts/ of this checkout (the same from src/tasks and dist/tasks). */
export const DEFAULT_PROMPT_DIR = fileURLToPath(new URL('../../configs/prompts/', import.meta.url));

export type PromptMode = 'warm' | 'cold';

const modeSchema = z.object({
  chat_template: z.boolean().default(true),
  enable_thinking: z.boolean().default(true),
  system: z.string().optional(),
  user: z.string().min(1),
});

const templateSchema = z.object({
  task: z.enum(['finqa', 'hotpotqa', 'musique', 'jsonl']),
  answer: z.string().default('{{answer}}'),
  warm: modeSchema,
  cold: modeSchema,
});

export type PromptTemplate = z.infer<typeof templateSchema>;

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface RenderedPrompt {
  messages: ChatMessage[];
  /** Apply the model's chat template (false: feed the user text as is). */
  chatTemplate: boolean;
  /** Open a thinking block (Qwen3's enable_thinking). */
  enableThinking: boolean;
}

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

function checkPlaceholders(text: string, allowed: string[], where: string): void {
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (!allowed.includes(m[1]!))
      throw new UserError(
        `${where}: unknown placeholder {{${m[1]}}} (allowed: ${allowed.map((a) => `{{${a}}}`).join(', ')})`,
      );
  }
}

/** Replace {{name}} placeholders in one pass (so text inside a value is never substituted again). */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}

/** Parse and check a template file's text. */
export function parsePromptTemplate(text: string, where: string): PromptTemplate {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new UserError(`${where}: malformed YAML (${(err as Error).message})`);
  }
  const t = parseWith(templateSchema, raw, where);
  for (const mode of ['warm', 'cold'] as const) {
    checkPlaceholders(t[mode].user, ['context', 'question'], `${where}: ${mode}.user`);
    if (t[mode].system !== undefined)
      checkPlaceholders(t[mode].system!, ['context', 'question'], `${where}: ${mode}.system`);
  }
  checkPlaceholders(t.answer, ['answer'], `${where}: answer`);
  return t;
}

/** Load configs/prompts/<task>.yaml (or <dir>/<task>.yaml, or `dir` itself when it names a .yaml file). */
export async function loadPromptTemplate(task: AnswerTask, dir: string = DEFAULT_PROMPT_DIR): Promise<PromptTemplate> {
  const path = /\.ya?ml$/i.test(dir) ? dir : join(dir, `${task}.yaml`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read prompt template (${(err as Error).message})`);
  }
  const t = parsePromptTemplate(text, path);
  if (t.task !== task) throw new UserError(`${path}: task: expected ${task}, got ${t.task}`);
  return t;
}

/** The chat messages of one record in the warm or cold start. */
export function renderPrompt(
  template: PromptTemplate,
  mode: PromptMode,
  record: Pick<TaskRecord, 'context' | 'question'>,
): RenderedPrompt {
  const m = template[mode];
  const values = { context: record.context, question: record.question };
  // A JSONL task's context is often empty: then {{context}} takes the line breaks after it along, and the text
  // is trimmed (the study's prompts stay byte for byte).
  const render =
    template.task !== 'jsonl'
      ? (t: string) => fill(t, values)
      : (t: string) => fill(record.context === '' ? t.replace(/\{\{\s*context\s*\}\}\n*/g, '') : t, values).trim();
  const messages: ChatMessage[] = [];
  if (m.system !== undefined && m.system.trim() !== '') messages.push({ role: 'system', content: render(m.system) });
  messages.push({ role: 'user', content: render(m.user) });
  return { messages, chatTemplate: m.chat_template, enableThinking: m.enable_thinking };
}

/** The gold answer as written after </think> for teacher forcing. */
export function renderAnswer(template: PromptTemplate, answer: string): string {
  return fill(template.answer, { answer });
}
