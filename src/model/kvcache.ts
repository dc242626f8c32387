// The KV cache: per layer, keys and values of `slots` sequences × `capacity` positions, (slots, S, G, D).
// A slot is one sequence of a decode batch; the sampler reuses slots as sequences finish (continuous
// batching) and copies a prompt's prefilled slot into its N sample slots (shared prefix, no N-fold prefill).
import type { Backend, Buf, DType } from '../tensor/backend.js';
import type { ModelConfig } from './config.js';

export class KVCache {
  readonly k: Buf[] = [];
  readonly v: Buf[] = [];
  /** (slots, S) 1 where a position holds a real token. */
  readonly keyMask: Buf;
  /** Tokens (real or pad) held by each slot. */
  readonly len: Int32Array;
  /** Real tokens held by each slot: the RoPE position of the next one. */
  readonly nReal: Int32Array;
  private readonly rowFloats: number;
  private readonly maskHost: Float32Array;

  /** bf16 at precision bf16 (half the memory and bandwidth of decoding), else f32. */
  readonly dtype: DType;

  constructor(readonly cfg: ModelConfig, readonly be: Backend, readonly slots: number, readonly capacity: number) {
    this.rowFloats = cfg.nKvHeads * cfg.headDim;
    this.dtype = be.precision === 'bf16' ? 'bf16' : 'f32';
    for (let l = 0; l < cfg.nLayers; l++) {
      this.k.push(be.alloc(slots * capacity * this.rowFloats, this.dtype));
      this.v.push(be.alloc(slots * capacity * this.rowFloats, this.dtype));
    }
    this.keyMask = be.alloc(slots * capacity);
    this.maskHost = new Float32Array(slots * capacity);
    this.len = new Int32Array(slots);
    this.nReal = new Int32Array(slots);
  }

  /** Bytes held by keys and values. */
  bytes(): number { return 2 * this.cfg.nLayers * this.slots * this.capacity * this.rowFloats * (this.dtype === 'bf16' ? 2 : 4); }

  setKeyMask(slot: number, p: number, value: number): void {
    const i = slot * this.capacity + p;
    if (this.maskHost[i] !== value) {
      this.maskHost[i] = value;
      this.be.upload(this.keyMask, this.maskHost.subarray(i, i + 1), i);
    }
  }

  /** Write T new (B, T, G·D) keys/values of layer l at each row's slot, from position start[b]. */
  write(l: number, slots: Int32Array, start: Int32Array, k: Buf, v: Buf, T: number): void {
    const R = this.rowFloats;
    for (let b = 0; b < slots.length; b++) {
      const dst = (slots[b]! * this.capacity + start[b]!) * R;
      this.be.copy(this.be.view(this.k[l]!, dst, T * R), this.be.view(k, b * T * R, T * R));
      this.be.copy(this.be.view(this.v[l]!, dst, T * R), this.be.view(v, b * T * R, T * R));
    }
  }

  /** Make slot dst a copy of slot src (its first len[src] positions). */
  copySlot(src: number, dst: number): void {
    if (src === dst) return;
    const n = this.len[src]!, R = this.rowFloats, S = this.capacity;
    for (let l = 0; l < this.cfg.nLayers; l++) {
      this.be.copy(this.be.view(this.k[l]!, dst * S * R, n * R), this.be.view(this.k[l]!, src * S * R, n * R));
      this.be.copy(this.be.view(this.v[l]!, dst * S * R, n * R), this.be.view(this.v[l]!, src * S * R, n * R));
    }
    this.maskHost.copyWithin(dst * S, src * S, src * S + n);
    this.be.upload(this.keyMask, this.maskHost.subarray(dst * S, dst * S + n), dst * S);
    this.len[dst] = n;
    this.nReal[dst] = this.nReal[src]!;
  }

  /** Empty a slot for reuse. */
  reset(slot: number): void {
    const S = this.capacity;
    this.maskHost.fill(0, slot * S, slot * S + this.len[slot]!);
    this.be.upload(this.keyMask, this.maskHost.subarray(slot * S, slot * S + this.len[slot]!), slot * S);
    this.len[slot] = 0;
    this.nReal[slot] = 0;
  }
}
