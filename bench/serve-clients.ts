// The clients of the serve benchmark, in a worker thread so that their sockets make progress while the
// server's thread is busy in a forward (as separate client processes would): all requests at once, then
// the wall time until the last answer. node:http rather than fetch: fetch gives up on a response whose
// headers take over 300 s, which a loaded 2-core machine can reach at 32 clients.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { url, prompts, maxNew } = workerData as { url: string; prompts: number[][]; maxNew: number };

function complete(prompt: number[], seed: number): Promise<number> {
  const body = JSON.stringify({ model: 'bench', prompt, max_tokens: maxNew, seed, temperature: 1, ignore_eos: true, return_token_ids: true });
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => {
        try { resolve((JSON.parse(text) as { choices: { token_ids: number[] }[] }).choices[0]!.token_ids.length); } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const t0 = performance.now();
const counts = await Promise.all(prompts.map((p, c) => complete(p, c)));
if (counts.some((n) => n !== maxNew)) throw new Error(`a request came back with ${counts.join(', ')} tokens, not ${maxNew}`);
parentPort!.postMessage((performance.now() - t0) / 1000);
