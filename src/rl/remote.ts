// Rollouts on OpenAI-compatible inference servers (rollout.engine kind openai; docs/serving.md): each prompt
// is one /v1/completions request of token ids with n = n_votes, spread over the servers (the least busy
// healthy one first), retried elsewhere with back-off when a server fails, and answered with token ids.
// The old log-probs are recomputed by the policy (rescore.ts), as verl does. After each update the weights
// go to the servers (weight_sync disk: safetensors, merged with the adapter of a LoRA run, + SGLang's
// /update_weights_from_disk; lora: the PEFT adapter, loaded under the version's name with vLLM's
// /v1/load_lora_adapter, or where that is missing (ttrl serve) through /update_weights_from_disk), and a
// server's samples are used only while it serves the current version.
//
// Reproducibility: sample j of prompt key k in a step with seed s draws from the stream (s, k, j) in
// process; the request's seed is streamSeed(s, k), whose (seed, 0, j) streams are the same, so a server
// that names streams as ttrl does (ttrl serve) returns exactly the local samples.
import fs from 'node:fs';
import path from 'node:path';
import type { Model } from '../model/model.js';
import { saveAdapter } from '../model/lora-io.js';
import { saveParams, copySideFiles, type Param } from '../model/params.js';
import type { SamplingParams } from '../sample/index.js';
import { TtrlError } from '../util/errors.js';
import { streamSeed } from '../util/rng.js';
import { rescore } from './rescore.js';
import type { Response, RolloutEngine, RolloutRequest } from './rollout.js';

export interface RemoteSettings {
  /** Base URLs as OpenAI clients take them (…/v1). */
  urls: string[];
  /** The model name to send. */
  model: string;
  weightSync: 'disk' | 'lora' | 'none';
  maxInflight: number;
  timeoutMs: number;
  retries: number;
}

interface Srv {
  url: string; inflight: number; failures: number; downUntil: number; lastError: string;
  /** The weight version it confirmed (null: none, or unknown after a failure). */
  version: string | null;
  syncing: Promise<void> | null;
  /** The adapter name to request (vLLM LoRA sync), or null: the served model name. */
  loraName: string | null;
}

/** A failure no retry can fix (a 4xx, an answer without token ids): the run stops with its message. */
class Fatal extends TtrlError {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BACKOFF_MS = 500, BACKOFF_MAX_MS = 30_000;

/** The server root of a …/v1 base URL (where /update_weights_from_disk lives). */
export function serverRoot(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

export class OpenAIEngine implements RolloutEngine {
  private readonly servers: Srv[];
  /** The weight version the servers must serve (null: never synced, nothing to check). */
  private version: string | null = null;
  private weightsPath = '';

  constructor(private readonly s: RemoteSettings, private readonly policy: Model, private readonly weightsDir: string,
              private readonly modelDir: string, private readonly log: (line: string) => void) {
    this.servers = s.urls.map((url) => ({ url: url.replace(/\/+$/, ''), inflight: 0, failures: 0, downUntil: 0, lastError: '', version: null, syncing: null, loraName: null }));
  }

  async generate(requests: RolloutRequest[], sampling: SamplingParams, seed: number,
                 hooks: { onProgress?: (p: { samplesDone: number; samplesTotal: number }) => void }): Promise<Response[][]> {
    const out = new Array<Response[]>(requests.length);
    const total = requests.reduce((a, q) => a + q.n, 0);
    let next = 0, done = 0, failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < requests.length) {
        const r = next++, q = requests[r]!;
        try {
          const got = await this.request(q, sampling, seed);
          const sc = rescore(this.policy, q.ids, got.map((g) => g.ids), sampling.temperature);
          // no self-certainty: the policy's kernel gives log-probs and entropies only (config refuses self_certainty here)
          out[r] = got.map((g, j) => ({ ...g, logprobs: sc.logprobs[j]!, entropies: sc.entropies[j]!, certainties: [] }));
        } catch (e) {
          failed = true;
          throw e;
        }
        done += q.n;
        hooks.onProgress?.({ samplesDone: done, samplesTotal: total });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.s.maxInflight, requests.length)) }, worker));
    return out;
  }

  /** Write the policy's weights and have every server load them as version step-N (weight_sync disk). */
  async sync(policy: Model, step: number): Promise<void> {
    if (this.s.weightSync === 'none') return;
    const version = `step-${step}`, dir = path.resolve(this.weightsDir, version);
    if (this.s.weightSync === 'lora') {
      if (!policy.adapter) throw new TtrlError("rollout.engine: weight_sync 'lora' needs a LoRA run (model.lora)");
      saveAdapter(dir, policy.adapter, this.modelDir);
    } else {
      saveParams(dir, policy.cfg, mergedParams(policy), policy.be);
      copySideFiles(this.modelDir, dir);
    }
    const old = this.weightsPath;
    this.version = version;
    this.weightsPath = dir;
    await Promise.all(this.servers.map((srv) => this.syncServer(srv).catch((e: unknown) => this.down(srv, e))));
    if (old && old !== dir) fs.rmSync(old, { recursive: true, force: true });
  }

  /** One prompt's n samples from some server, retried elsewhere on failure. */
  private async request(q: RolloutRequest, p: SamplingParams, seed: number): Promise<Omit<Response, 'logprobs' | 'entropies' | 'certainties'>[]> {
    const body = {
      prompt: q.ids, n: q.n, seed: streamSeed(seed, q.key),
      temperature: p.temperature, top_p: p.topP, top_k: p.topK > 0 ? p.topK : -1, min_p: p.minP, max_tokens: p.maxNewTokens,
      // stop exactly at the run's stop ids, whatever the server's own EOS list
      ignore_eos: true, stop_token_ids: p.eosIds, ...(p.stopStrings.length ? { stop: p.stopStrings } : {}),
      return_token_ids: true,
    };
    for (let attempt = 0; ; attempt++) {
      const srv = await this.pick(attempt);
      srv.inflight++;
      try {
        if (this.version !== null && srv.version !== this.version) await this.syncServer(srv);
        const got = await this.post(srv, '/completions', { model: srv.loraName ?? this.s.model, ...body }, this.s.timeoutMs);
        srv.failures = 0;
        return this.parse(got, q, srv);
      } catch (e) {
        if (e instanceof Fatal) throw e;
        this.down(srv, e);
        if (attempt >= this.s.retries) {
          const why = this.servers.map((x) => `${x.url} (${x.lastError || 'no error'})`).join(', ');
          throw new TtrlError(`rollout: no server answered the request for prompt ${q.key} after ${attempt + 1} tries: ${why}; check rollout.engine.urls and that the servers run`);
        }
      } finally {
        srv.inflight--;
      }
    }
  }

  /** The least busy server that is not backing off; waits for the first to come back when all are. */
  private async pick(attempt: number): Promise<Srv> {
    for (;;) {
      const now = Date.now(), up = this.servers.filter((x) => x.downUntil <= now);
      if (up.length) return up.reduce((a, b) => (b.inflight < a.inflight ? b : a));
      if (attempt > this.s.retries) throw new TtrlError('rollout: every server is failing');
      await sleep(Math.min(...this.servers.map((x) => x.downUntil)) - now);
    }
  }

  private down(srv: Srv, e: unknown): void {
    srv.failures++;
    srv.lastError = (e as Error)?.message ?? String(e);
    srv.downUntil = Date.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** (srv.failures - 1));
    srv.version = null;  // whatever it serves when it comes back is checked again
    this.log(`rollout: ${srv.url} failed (${srv.lastError}); retrying elsewhere, it rests ${srv.downUntil - Date.now()} ms`);
  }

  /** Load the current weights on one server (once at a time per server). */
  private syncServer(srv: Srv): Promise<void> {
    if (this.version === null) return Promise.resolve();
    const version = this.version, model_path = this.weightsPath;
    srv.syncing ??= (async () => {
      try {
        if (this.s.weightSync === 'lora' && await this.loadLora(srv, version, model_path)) return;
        const r = await this.post(srv, '/update_weights_from_disk', { model_path, weight_version: version }, this.s.timeoutMs, true) as { success?: boolean; message?: string; weight_version?: string };
        if (r.success !== true) throw new Error(`weight update refused: ${r.message ?? JSON.stringify(r)}`);
        if (r.weight_version !== undefined && r.weight_version !== version) throw new Error(`serves weight_version ${r.weight_version} after the update, not ${version}`);
        srv.version = version;
      } finally {
        srv.syncing = null;
      }
    })();
    return srv.syncing;
  }

  /**
   * Runtime LoRA loading (vLLM's /v1/load_lora_adapter, SGLang's /load_lora_adapter): the adapter under the
   * name `version`, which later requests then name (so a server can never answer them from other weights);
   * the previous one is unloaded. false when the server has neither (404/405/501), e.g. ttrl serve: then the
   * adapter folder goes through /update_weights_from_disk.
   */
  private async loadLora(srv: Srv, version: string, lora_path: string): Promise<boolean> {
    const root = serverRoot(srv.url);
    for (const prefix of ['/v1', '']) {  // vLLM's route, then SGLang's
      const res = await this.raw(`${root}${prefix}/load_lora_adapter`, { lora_name: version, lora_path }, this.s.timeoutMs);
      if ([404, 405, 501].includes(res.status)) continue;
      if (res.status >= 300) throw new Error(`${root}${prefix}/load_lora_adapter: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
      const old = srv.loraName;
      srv.loraName = version;
      srv.version = version;
      if (old && old !== version) await this.raw(`${root}${prefix}/unload_lora_adapter`, { lora_name: old }, this.s.timeoutMs).catch(() => undefined);
      return true;
    }
    return false;
  }

  private async raw(url: string, body: object, timeoutMs: number): Promise<{ status: number; text: string }> {
    const key = process.env.TTRL_ROLLOUT_API_KEY;
    const res = await fetch(url, {
      method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs),
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    });
    return { status: res.status, text: await res.text() };
  }

  private async post(srv: Srv, route: string, body: object, timeoutMs: number, atRoot = false): Promise<unknown> {
    const url = (atRoot ? serverRoot(srv.url) : srv.url) + route;
    const res = await this.raw(url, body, timeoutMs);
    if (res.status >= 200 && res.status < 300) return JSON.parse(res.text);
    const msg = `${url}: HTTP ${res.status}: ${res.text.slice(0, 300)}`;
    // a request the server rejects is rejected by every server; overload and server errors are retried
    if (res.status >= 400 && res.status < 500 && ![408, 409, 429].includes(res.status)) throw new Fatal(`rollout: ${msg}`);
    throw new Error(msg);
  }

  private parse(got: unknown, q: RolloutRequest, srv: Srv): Omit<Response, 'logprobs' | 'entropies' | 'certainties'>[] {
    const r = got as { choices?: { index: number; text: string; token_ids?: number[]; finish_reason: string }[]; weight_version?: string };
    if (this.version !== null && r.weight_version !== undefined && r.weight_version !== this.version) {
      throw new Error(`answered with weight_version ${r.weight_version}, not ${this.version}`);
    }
    const choices = [...(r.choices ?? [])].sort((a, b) => a.index - b.index);
    if (choices.length !== q.n || choices.some((c) => !Array.isArray(c.token_ids))) {
      throw new Fatal(`rollout: ${srv.url} answered without ${q.n} choices with token_ids; the server must support "return_token_ids" (vLLM >= 0.10.2, ttrl serve)`);
    }
    return choices.map((c) => ({ ids: c.token_ids!, text: c.text, truncated: c.finish_reason === 'length' }));
  }
}

/** The policy's parameters with a LoRA adapter folded in (W + s·B·A), for servers that load full weights. */
function mergedParams(policy: Model): Map<string, Param> {
  const ad = policy.adapter;
  if (!ad) return policy.params;
  return new Map([...policy.params].map(([name, p]) => [name, ad.pairOf(name)
    ? { ...p, buf: policy.be.fromHost(ad.mergedWeight(name, policy.be.read(p.buf).slice())) } : p]));
}
