// The end-of-sequence rule, used by every command that samples or trains on completions (generate, eval,
// train, sft, the demo). A model may name its end tokens in three files: tokenizer_config.json's eos_token,
// generation_config.json's eos_token_id (both already in Tok.eosIds) and config.json's eos_token_id. vLLM
// and HF generate stop on any of them, so generation stops on their union; a completion written for
// training ends with the first of them (the tokenizer's own eos_token when it has one), which is the token
// the model's chat template closes a turn with.
import { TtrlError } from '../util/errors.js';

interface HasEos { readonly eosIds: readonly number[] }

/** Stop ids: the tokenizer's (eos_token, then generation_config's), then config.json's; no repeats. */
export function stopIds(tok: HasEos | null, model: HasEos | null): number[] {
  return [...new Set([...(tok?.eosIds ?? []), ...(model?.eosIds ?? [])])];
}

/** The token a training completion ends with: the first stop id. `where` names the model for the error. */
export function endOfSequenceId(tok: HasEos | null, model: HasEos | null, where: string): number {
  const id = stopIds(tok, model)[0];
  if (id === undefined) {
    throw new TtrlError(`${where}: no end-of-sequence token (set eos_token in tokenizer_config.json or eos_token_id in config.json)`);
  }
  return id;
}
