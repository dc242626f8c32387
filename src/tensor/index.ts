// Backend selection: the one place that maps a device name to a Backend. The CLI convention is a
// `--device cpu|cuda` flag (default cpu) parsed with parseDevice and handed to getBackend; nothing above
// this file branches on the device. The CUDA addon is loaded only when 'cuda' is asked for (or listed).
import type { Backend, Precision } from './backend.js';
import { cpu, cpuBf16Support, announceAtFirstProduct } from './cpu.js';
import { CudaBackend, cudaUnavailable } from './cuda.js';
import { TtrlError } from '../util/errors.js';

export type DeviceName = 'cpu' | 'cuda';
export const DEVICES: readonly DeviceName[] = ['cpu', 'cuda'];

/** The `--device` flag of the commands that run a model: its parseArgs option and its help line. */
export const DEVICE_OPTION = { device: { type: 'string', default: 'cpu' } } as const;
export const DEVICE_HELP = '  --device cpu|cuda   where tensors live and kernels run (default cpu; cuda: docs/cuda.md)';

/** A --device value checked against DEVICES; `where` names the flag or config field in the error. */
export function parseDevice(value: string | undefined, where = '--device'): DeviceName {
  const v = value ?? 'cpu';
  if ((DEVICES as readonly string[]).includes(v)) return v as DeviceName;
  throw new TtrlError(`${where}: unknown device "${v}" (use ${DEVICES.join(' or ')})`);
}

/** A precision as a user sets it: 'auto' is the device's default (defaultPrecision). */
export type PrecisionSetting = Precision | 'auto';
const PRECISION_SETTINGS: readonly PrecisionSetting[] = ['auto', 'bf16', 'fp32'];

/** The `--precision` flag of the commands that run a model. */
export const PRECISION_OPTION = { precision: { type: 'string', default: 'auto' } } as const;
export const PRECISION_HELP = '  --precision auto|bf16|fp32  number format of matrix products (default auto: bf16 where the CPU does\n' +
  '                      bf16 faster: AMX, or AVX512-BF16 on AMD Zen 4+; else fp32; the choice is printed once)';

/** A --precision value (or config field) checked; `where` names it in the error. */
export function parsePrecision(value: string | undefined, where = '--precision'): PrecisionSetting {
  const v = value ?? 'auto';
  if ((PRECISION_SETTINGS as readonly string[]).includes(v)) return v as PrecisionSetting;
  throw new TtrlError(`${where}: unknown precision "${v}" (use ${PRECISION_SETTINGS.join(', ')})`);
}

/** The default precision of a device and why: bf16 on a CPU whose bf16 products are faster by design. */
export function defaultPrecision(device: string): { precision: Precision; why: string } {
  if (device !== 'cpu') return { precision: 'fp32', why: `the default on ${device} (--precision bf16: cuBLAS bf16 products, not yet measured on a GPU)` };
  const s = cpuBf16Support();
  return s.fast ? { precision: 'bf16', why: `${s.library} ${s.impl}, ${s.reason}` } : { precision: 'fp32', why: s.reason };
}

let announced = false;

/**
 * The backend of the same device as `be` at a precision ('auto': the device's default). The precision in use,
 * and why, is printed once per process on stderr, at the first matrix product (so that a command refusing
 * its input still answers in one line). A device without bf16 says so (TtrlError).
 */
export function backendAt(be: Backend, setting: PrecisionSetting): Backend {
  const device = be.name === 'cpu' ? 'cpu' : be.name;
  const d = defaultPrecision(device);
  const p = setting === 'auto' ? d.precision : setting;
  if (!announced) {
    announced = true;
    const why = setting === 'auto' ? `auto: ${d.why}` : device === 'cpu' && p === 'bf16' && d.precision !== 'bf16' ? `slower here: ${d.why}` : 'as asked';
    const line = `ttrl: ${p} matrix products on ${device} (${why})\n`;
    if (device === 'cpu') announceAtFirstProduct(line);
    else process.stderr.write(line);
  }
  if (p === be.precision) return be;
  if (device === 'cpu') return cpu(p);
  if (be instanceof CudaBackend) {
    let twins = cudaTwins.get(be);
    if (!twins) cudaTwins.set(be, (twins = new Map()));
    let t = twins.get(p);
    if (!t) twins.set(p, (t = new CudaBackend({ precision: p, sameDeviceAs: be })));
    return t;
  }
  throw new TtrlError(`--precision ${p}: the ${device} backend computes in ${be.precision} only (use --precision ${be.precision})`);
}
const cudaTwins = new WeakMap<CudaBackend, Map<Precision, CudaBackend>>();

let cudaBackend: CudaBackend | null = null;

/** The process-wide backend of a device. 'cuda' throws a one-line TtrlError saying why when the addon was
 *  not built or no GPU is present. */
export function getBackend(name: DeviceName): Backend {
  if (name === 'cpu') return cpu();
  if (name === 'cuda') {
    if (!cudaBackend) {
      const why = cudaUnavailable();
      if (why) throw new TtrlError(`--device cuda: ${why}`);
      cudaBackend = new CudaBackend();
    }
    return cudaBackend;
  }
  throw new TtrlError(`unknown device "${String(name)}" (use ${DEVICES.join(' or ')})`);
}

/** A backend that cannot run here, and why (one line). */
export interface Unavailable {
  name: DeviceName;
  reason: string;
}

/** Every backend that runs here (CPU always, CUDA when its addon loads and a GPU is present), and the ones
 *  that do not with their reason: test suites run once per available backend and report the others as
 *  skipped. */
export function backends(): { available: Backend[]; unavailable: Unavailable[] } {
  const available: Backend[] = [cpu()];
  const unavailable: Unavailable[] = [];
  const why = cudaUnavailable();
  if (why) unavailable.push({ name: 'cuda', reason: why });
  else available.push(getBackend('cuda'));
  return { available, unavailable };
}
