/** Batched generation of rollouts. */
import type { Policy } from './policy.js';
import type { GenerateOptions, Rollout } from './rollout.js';
import { generateReference } from './generate-reference.js';

/** M rollouts for each prompt (token ids, e.g. a chat-templated prompt), in prompt-major order. */
export async function generate(policy: Policy, prompts: readonly (readonly number[])[], o: GenerateOptions, padId = 0): Promise<Rollout[]> {
  return generateReference(policy, prompts, o, padId);
}
