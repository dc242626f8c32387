// The sampler's public surface: batched N-per-prompt sampling with shared prefill and continuous batching.
export { sampleBatch, sampleBatchAsync, type StoppableOptions, type Sample, type SampleRequest, type SampleOptions, type SampleProgress, type FinishReason } from './batch.js';
export { Scheduler, type Job, type JobHandle, type SchedulerOptions } from './scheduler.js';
export { DEFAULT_SAMPLING, SAMPLING_RULES, resolveSampling, type SamplingParams, type TokenPolicy } from './params.js';
export { drawToken, tokenDistribution, topLogprobs, KernelScratch, type Drawn, type TopLogprob } from './kernel.js';
export { CompletionText, findStop, type TokenDecoder } from './text.js';
