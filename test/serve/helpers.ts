// Shared pieces of the server tests: the demo base served in-process, and offline sampling of the same
// work through sampleBatch (the independent reference every server answer is compared with).
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadModel, type Model } from '../../src/model/model.js';
import { loadTokenizer, type Tok } from '../../src/tokenizer/index.js';
import { sampleBatch, type Sample, type SamplingParams } from '../../src/sample/index.js';
import { startServer, type Server, type ServeOptions } from '../../src/serve/server.js';
import { repoRoot } from '../shared.js';

export const DEMO_BASE = path.join(repoRoot, 'assets', 'demo-base');
export const NAME = 'demo';

export async function demo(): Promise<{ model: Model; tok: Tok }> {
  return { model: loadModel(DEMO_BASE), tok: await loadTokenizer(DEMO_BASE) };
}

export async function serve(model: Model, tok: Tok | null, over: Partial<ServeOptions> = {}): Promise<Server> {
  return startServer({
    model, tok, servedName: NAME, slots: 8, contextLimit: 256, limits: { maxN: 64, maxLogprobs: 20 },
    maxBodyBytes: 64 * 1024, apiKey: null, version: '0', load: (dir) => loadModel(dir), ...over,
  }, '127.0.0.1', 0);
}

/** What `ttrl generate --seed seed` (key 0) draws for these ids and settings. */
export function offline(model: Model, tok: Tok | null, ids: number[], n: number, p: Partial<SamplingParams>, seed: number): Sample[] {
  const eosIds = [...new Set([...(tok?.eosIds ?? []), ...model.cfg.eosIds])];
  return sampleBatch(model, [{ ids, n, key: 0 }], { eosIds, ...p }, {
    seed, decoder: tok ? { decode: (x) => tok.decode(x, { skipSpecial: true }) } : null,
  })[0]!;
}

/** POST a raw body; returns status and parsed JSON (or text). */
export async function post(url: string, body: string | object, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {  // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try { json = JSON.parse(text); } catch { /* keep text */ }
  return { status: res.status, json };
}

export interface Child { url: string; proc: ChildProcess; stderr: () => string; exited: Promise<number | null> }

/** `ttrl serve --port 0 ...args` as a child process; resolves once it prints its URL. */
/** A `ttrl serve` child at fp32 (the tests compare it with fp32 models in the test process) unless args say. */
export function spawnServe(args: string[]): Promise<Child> {
  const precision = args.includes('--precision') ? [] : ['--precision', 'fp32'];
  const proc = spawn(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'serve', '--port', '0', '--quiet', ...precision, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill(); reject(new Error(`ttrl serve did not start: ${err}`)); }, 30_000);
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /on (http:\/\/\S+)\/v1/.exec(err);
      if (m) { clearTimeout(timer); resolve({ url: m[1]!, proc, stderr: () => err, exited }); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`ttrl serve exited (${code}): ${err}`)); });
  });
}
