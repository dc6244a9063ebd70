/** The stop and thinking tokens of a tokenizer, in the form generation needs. */
import type { Tokenizer } from '../model/tokenizer.js';
import type { StopTokens } from './rollout.js';

/** Text forced when the thinking budget runs out: Qwen3's template closes thinking as "\n</think>\n\n". */
export const FORCED_CLOSE_TEXT = '\n</think>\n\n';

export function stopTokensFor(tokenizer: Tokenizer): StopTokens {
  const closes = tokenizer.thinkEndId !== undefined;
  return {
    eosIds: tokenizer.eosTokenIds,
    thinkStartId: tokenizer.thinkStartId,
    thinkEndId: tokenizer.thinkEndId,
    forceCloseIds: closes ? tokenizer.encode(FORCED_CLOSE_TEXT) : [],
  };
}
