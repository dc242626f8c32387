// Backend selection: the one place that maps a device name to a Backend. The CLI convention is a
// `--device cpu|cuda` flag (default cpu) parsed with parseDevice and handed to getBackend; nothing above
// this file branches on the device. The CUDA addon is loaded only when 'cuda' is asked for (or listed).
import type { Backend } from './backend.js';
import { cpu } from './cpu.js';
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
