// The sampler's public surface: batched N-per-prompt sampling with shared prefill and continuous batching.
export { sampleBatch, type Sample, type SampleRequest, type SampleOptions, type SampleProgress, type FinishReason } from './batch.js';
export { DEFAULT_SAMPLING, SAMPLING_RULES, resolveSampling, type SamplingParams, type TokenPolicy } from './params.js';
export { drawToken, tokenDistribution, KernelScratch, type Drawn } from './kernel.js';
export { CompletionText, findStop, type TokenDecoder } from './text.js';
