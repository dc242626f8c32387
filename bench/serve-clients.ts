// The clients of the serve benchmark, in a worker thread so that their sockets make progress while the
// server's thread is busy in a forward (as separate client processes would): all requests at once, then
// the wall time until the last answer.
import { parentPort, workerData } from 'node:worker_threads';

const { url, prompts, maxNew } = workerData as { url: string; prompts: number[][]; maxNew: number };
const t0 = performance.now();
await Promise.all(prompts.map(async (prompt, c) => {
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'bench', prompt, max_tokens: maxNew, seed: c, temperature: 1, ignore_eos: true, return_token_ids: true }),
  });
  const body = await res.json() as { choices: { token_ids: number[] }[] };
  if (body.choices[0]!.token_ids.length !== maxNew) throw new Error(`client ${c}: ${body.choices[0]!.token_ids.length} tokens`);
}));
parentPort!.postMessage((performance.now() - t0) / 1000);
