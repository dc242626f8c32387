// Running exported GGUF files in llama.cpp through node-llama-cpp (an optional devDependency whose npm
// packages ship prebuilt llama.cpp binaries). Tests import it through `loadNodeLlamaCpp`, which gives a
// one-line reason to skip with when it is not installed.
import type * as NodeLlamaCpp from 'node-llama-cpp';

export type Nlc = typeof NodeLlamaCpp;

/** The node-llama-cpp module, or the reason it cannot be used. */
export async function loadNodeLlamaCpp(): Promise<{ nlc: Nlc; skip: false } | { nlc: undefined; skip: string }> {
  try {
    return { nlc: await import('node-llama-cpp'), skip: false };
  } catch (err) {
    return { nlc: undefined, skip: `node-llama-cpp is not installed (a devDependency: run npm ci): ${(err as Error).message.split('\n')[0]}` };
  }
}

/** llama.cpp on the CPU from the bundled prebuilt binary: never build or download anything. */
export async function cpuLlama(nlc: Nlc): Promise<NodeLlamaCpp.Llama> {
  return nlc.getLlama({ gpu: false, build: 'never', logLevel: nlc.LlamaLogLevel.error, progressLogs: false });
}

/**
 * A context that computes in float32 throughout, so logits can be compared with transformers' at float32
 * tolerance: F32 KV cache (llama.cpp's default is F16) and no flash attention (its CPU kernel rounds Q
 * and the softmax weights to F16, which moves logits by ~4e-3 on the parity fixtures).
 */
export async function exactContext(model: NodeLlamaCpp.LlamaModel, contextSize: number, threads = 1): Promise<NodeLlamaCpp.LlamaContext> {
  return model.createContext({
    contextSize, sequences: 1, threads, flashAttention: false,
    experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
  });
}

/** Feed `ids` into a fresh sequence and return llama.cpp's raw logits after each position, (T, V). */
export async function logitsAt(seq: NodeLlamaCpp.LlamaContextSequence, ids: number[], vocab: number): Promise<Float32Array[]> {
  await seq.clearHistory();
  const res = await seq.controlledEvaluate(ids.map((t) => [t, { generateNext: { logits: true } }] as NodeLlamaCpp.ControlledEvaluateInputItem));
  return res.map((r, t) => {
    const row = new Float32Array(vocab).fill(NaN);
    const logits = r?.next.logits;
    if (!logits) throw new Error(`llama.cpp returned no logits at position ${t}`);
    for (const [tok, l] of logits) row[tok] = l;
    return row;
  });
}

/** Greedy decoding driven from JS: argmax of llama.cpp's raw logits each step (no sampler, no stop tokens). */
export async function greedyByLogits(seq: NodeLlamaCpp.LlamaContextSequence, prompt: number[], steps: number, vocab: number):
  Promise<{ tokens: number[]; stepLogits: Float32Array[] }> {
  await seq.clearHistory();
  const tokens: number[] = [], stepLogits: Float32Array[] = [];
  let input = prompt;
  for (let s = 0; s < steps; s++) {
    const res = await seq.controlledEvaluate(input.map((t, i) => (i === input.length - 1
      ? [t, { generateNext: { logits: true } }] : t) as NodeLlamaCpp.ControlledEvaluateInputItem));
    const row = new Float32Array(vocab);
    for (const [tok, l] of res[input.length - 1]!.next.logits!) row[tok] = l;
    let best = 0;
    for (let v = 1; v < vocab; v++) if (row[v]! > row[best]!) best = v;
    tokens.push(best); stepLogits.push(row);
    input = [best];
  }
  return { tokens, stepLogits };
}

/** Greedy decoding by llama.cpp's own sampler (temperature 0), with the probability it gave each token. */
export async function greedyBySampler(seq: NodeLlamaCpp.LlamaContextSequence, prompt: number[], steps: number):
  Promise<{ tokens: number[]; probs: number[] }> {
  await seq.clearHistory();
  const tokens: number[] = [], probs: number[] = [];
  for await (const out of seq.evaluateWithMetadata(prompt as NodeLlamaCpp.Token[], { confidence: true }, { temperature: 0, yieldEogToken: true })) {
    tokens.push(out.token); probs.push(out.confidence);
    if (tokens.length >= steps) break;
  }
  return { tokens, probs };
}

/** log_softmax(row)[k] in float64. */
export function logProb(row: ArrayLike<number>, k: number): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]!);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i]! - m);
  return row[k]! - m - Math.log(s);
}
