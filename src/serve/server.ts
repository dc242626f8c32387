// `ttrl serve`'s HTTP server: OpenAI-compatible completions and chat (whole or streamed as server-sent
// events), the model list, health, and the weight-update endpoints RL trainers call (SGLang's
// /update_weights_from_disk; vLLM's named-LoRA endpoints answer 501: one adapter is
// served through --adapter or an adapter folder sent to /update_weights_from_disk). Every request is one
// job per prompt on the shared Engine, so concurrent clients share one continuous batch.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Model } from '../model/model.js';
import type { Tok } from '../tokenizer/index.js';
import type { Sample } from '../sample/index.js';
import { TtrlError } from '../util/errors.js';
import { Engine, GATHER_MS } from './engine.js';
import { ApiError, asBody, checkModel, readGenRequest, type GenRequest, type Limits } from './protocol.js';
import { chunk, finalDelta, fullResponse, roleDelta, textDelta, usageChunk, type Head, type TokenText } from './respond.js';

export interface ServeOptions {
  model: Model;
  tok: Tok | null;
  /** The name clients must use in "model" (other names get a 404). */
  servedName: string;
  /** Most samples decoded at once. */
  slots: number;
  /** Longest prompt + max_tokens. */
  contextLimit: number;
  limits: Limits;
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  apiKey: string | null;
  /** Weight version before any update. */
  version: string;
  /** Load weights from a model folder (for /update_weights_from_disk). */
  load: (dir: string) => Model;
  /** Log one line per request (default none). */
  log?: (line: string) => void;
}

export interface Server {
  readonly url: string;
  readonly engine: Engine;
  /** Refuse new requests, finish those in flight, close. */
  close(): Promise<void>;
}

/** Start listening on host:port (port 0 = any free one). */
export async function startServer(o: ServeOptions, host: string, port: number): Promise<Server> {
  // start times of generation requests whose body is still being read (a stalled client stops counting after GATHER_MS)
  const reading = new Set<{ t: number }>();
  const arriving = (): boolean => [...reading].some((r) => performance.now() - r.t < GATHER_MS);
  const engine = new Engine(o.model, { slots: o.slots, capacity: o.contextLimit, version: o.version, arriving });
  const V = o.model.cfg.vocabSize;
  const eosIds = [...new Set([...(o.tok?.eosIds ?? []), ...o.model.cfg.eosIds])];
  const show: TokenText = o.tok ? (id) => o.tok!.decode([id]) : (id) => `token_id:${id}`;
  const decoder = o.tok ? { decode: (ids: number[]) => o.tok!.decode(ids, { skipSpecial: true }) } : null;
  let draining = false;

  const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>> = {
    'GET /health': async (_q, res) => send(res, 200, { status: 'ok', weight_version: engine.version }),
    'GET /get_weight_version': async (_q, res) => send(res, 200, { weight_version: engine.version }),
    'GET /v1/models': async (_q, res) => send(res, 200, {
      object: 'list',
      data: [{ id: o.servedName, object: 'model', created: 0, owned_by: 'ttrl', root: o.servedName, max_model_len: o.contextLimit }],
    }),
    'POST /v1/completions': (q, res) => generate(q, res, false),
    'POST /v1/chat/completions': (q, res) => generate(q, res, true),
    'POST /update_weights_from_disk': async (q, res) => {
      const b = asBody(await readJson(q, o.maxBodyBytes));
      if (typeof b.model_path !== 'string' || b.model_path === '') throw new ApiError(400, 'model_path: must be the path of a model folder', 'model_path');
      const v = b.weight_version;
      if (v !== undefined && v !== null && typeof v !== 'string') throw new ApiError(400, 'weight_version: must be a string', 'weight_version');
      const version = typeof v === 'string' ? v : nextVersion(engine.version);
      try {
        await engine.swapWeights(() => o.load(b.model_path as string), version);
      } catch (e) {
        if (!(e instanceof TtrlError)) throw e;
        return send(res, 400, { success: false, message: e.message, weight_version: engine.version });
      }
      o.log?.(`weights from ${b.model_path}: version ${version}`);
      send(res, 200, { success: true, message: `loaded ${b.model_path}`, weight_version: engine.version });
    },
    'POST /v1/load_lora_adapter': async () => { throw new ApiError(501, 'serving several LoRA adapters by name is not supported; start with --adapter DIR, or send an adapter folder to /update_weights_from_disk'); },
    'POST /v1/unload_lora_adapter': async () => { throw new ApiError(501, 'serving several LoRA adapters by name is not supported'); },
  };

  async function generate(q: http.IncomingMessage, res: http.ServerResponse, chat: boolean): Promise<void> {
    const r = { t: performance.now() };
    reading.add(r);
    let body: unknown;
    try { body = await readJson(q, o.maxBodyBytes); } finally { reading.delete(r); }
    const b = asBody(body);
    checkModel(b, o.servedName);
    const req = readGenRequest(b, chat, o.tok, V, eosIds, o.contextLimit, o.limits);
    const head: Head = { id: `${chat ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: o.servedName };
    await runJobs(req, head, res);
  }

  /** One job per prompt; answer whole or as a stream. Resolves when the response has ended. */
  function runJobs(req: GenRequest, head: Head, res: http.ServerResponse): Promise<void> {
    const total = req.prompts.length * req.n, samples = new Array<Sample>(total);
    let done = 0, version = engine.version;
    if (req.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      if (req.chat) for (let i = 0; i < total; i++) event(res, chunk(req, head, roleDelta(i)));
    }
    return new Promise<void>((resolve) => {
      const handles: { cancel(): void }[] = [];
      const fail = (e: unknown): void => {
        handles.forEach((h) => h.cancel());
        if (res.writableEnded) return;
        const err = e instanceof ApiError ? e : new ApiError(500, `internal error: ${(e as Error)?.message ?? e}`);
        if (req.stream) { event(res, errorBody(err)); res.end('data: [DONE]\n\n'); } else send(res, err.status, errorBody(err));
        resolve();
      };
      res.on('close', () => { if (!res.writableEnded) { handles.forEach((h) => h.cancel()); resolve(); } });
      try {
        req.prompts.forEach((ids, p) => handles.push(engine.submit({
          ids, n: req.n, params: req.params, seed: req.seed, key: p, decoder,
          topLogprobs: req.logprobs ?? 0,
          onText: req.stream ? (j, delta) => event(res, chunk(req, head, textDelta(req, p * req.n + j, delta))) : undefined,
          onSample: (j, s) => {
            const i = p * req.n + j;
            samples[i] = s;
            version = engine.version;
            if (req.stream) event(res, chunk(req, head, finalDelta(req, s, i, show)));
            if (++done < total) return;
            if (!req.stream) send(res, 200, fullResponse(req, head, samples, show, version));
            else {
              if (req.includeUsage) event(res, usageChunk(req, head, samples, version));
              res.end('data: [DONE]\n\n');
            }
            resolve();
          },
        }, fail)));
      } catch (e) {
        fail(e instanceof TtrlError ? new ApiError(400, e.message) : e);
      }
    });
  }

  const server = http.createServer((q, res) => {
    const t0 = performance.now();
    res.on('finish', () => o.log?.(`${q.method} ${q.url} ${res.statusCode} ${(performance.now() - t0).toFixed(0)} ms`));
    handle(q, res).catch((e: unknown) => {
      const err = e instanceof ApiError ? e : e instanceof TtrlError ? new ApiError(400, e.message)
        : new ApiError(500, `internal error: ${(e as Error)?.message ?? e}`);
      if (!(e instanceof ApiError || e instanceof TtrlError) && !q.destroyed) process.stderr.write(`ttrl serve: ${(e as Error)?.stack ?? e}\n`);
      if (!res.headersSent) send(res, err.status, errorBody(err));
      else if (!res.writableEnded) res.end();
    });
  });

  async function handle(q: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (o.apiKey !== null && q.headers.authorization !== `Bearer ${o.apiKey}`) throw new ApiError(401, 'missing or wrong API key (send "Authorization: Bearer KEY")');
    if (draining) throw new ApiError(503, 'the server is shutting down');
    const path = (q.url ?? '/').split('?')[0]!;
    const route = routes[`${q.method} ${path}`];
    if (route) return route(q, res);
    if (Object.keys(routes).some((k) => k.endsWith(` ${path}`))) throw new ApiError(405, `${q.method} is not allowed on ${path}`);
    throw new ApiError(404, `no route ${path}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    url, engine,
    async close() {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.drained();
      server.closeIdleConnections();
      // responses already handed to the socket finish; a stuck keep-alive client does not hold the exit
      const timer = setTimeout(() => server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(timer);
    },
  };
}

function errorBody(e: ApiError): object {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.status } };
}

function send(res: http.ServerResponse, status: number, body: object): void {
  if (res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function event(res: http.ServerResponse, body: object): void {
  if (!res.writableEnded) res.write(`data: ${JSON.stringify(body)}\n\n`);
}

/** "3" → "4"; any other text gets "+1" appended. */
function nextVersion(v: string): string {
  return /^\d+$/.test(v) ? String(Number(v) + 1) : `${v}+1`;
}

/** The body as JSON; 413 past maxBytes (the rest is read and dropped), 400 when not JSON. */
function readJson(q: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooBig = new ApiError(413, `request body over this server's limit of ${maxBytes} bytes`);
  if (Number(q.headers['content-length'] ?? 0) > maxBytes) { q.resume(); return Promise.reject(tooBig); }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    q.on('data', (c: Buffer) => { size += c.length; if (size <= maxBytes) parts.push(c); });
    q.on('error', reject);
    q.on('end', () => {
      if (size > maxBytes) return reject(tooBig);
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch (e) {
        reject(new ApiError(400, `malformed JSON body: ${(e as Error).message}`));
      }
    });
  });
}
