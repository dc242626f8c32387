// The tokenizer area's public API: load a model directory's tokenizer, build prompts, stream
// detokenization, and train small byte-level BPEs for tests and the demo.
export { loadTokenizer, type Tok } from './load.js';
export type { GenDefaults } from './config.js';
export type { ChatMessage } from './chat.js';
export { buildPrompt, parseThinking, type Prompt, type PromptMode, type PromptOptions } from './prompt.js';
export { StreamDecoder } from './stream.js';
export { learnBpe, trainBpe, type BpeModel, type TrainBpeOptions } from './train.js';
export { buildTokenizerFiles, writeTokenizerFiles, STYLE_SPECIALS, type TokenizerFiles } from './files.js';
export type { SplitStyle } from './pretokenize.js';
