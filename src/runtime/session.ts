/** onnxruntime-node sessions: creation from model bytes on a chosen execution provider, and typed runs. */
import ort from 'onnxruntime-node';
import { UserError } from '../errors.js';
import type { DType, TensorData } from '../onnx/graph.js';

export type Device = 'cpu' | 'cuda' | 'webgpu';

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads; 0 or left out: onnxruntime's choice (all cores), as config field `threads` 0. */
  threads?: number;
  /** Write onnxruntime's profile (JSON): true for tsallis-run-profile_*.json here, or a path prefix. */
  profile?: boolean | string;
  /** Path to write the optimised graph to, for inspection. */
  optimizedModelPath?: string;
  /** 'all' (default) lets onnxruntime fuse ops into its float32-only contrib kernels; float64 graphs need 'basic'. */
  optimization?: 'basic' | 'extended' | 'all';
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int64: 'int64',
  int32: 'int32',
  bool: 'bool',
};

export function tensor(dtype: DType, data: TensorData, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[dtype], data as never, dims);
}

export async function createSession(
  model: Uint8Array | string,
  opts: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const device = opts.device ?? 'cpu';
  if (!ort.listSupportedBackends().some((b) => b.name === device)) {
    throw new UserError(
      `execution provider '${device}' is not available in this onnxruntime-node build. ${installHint(device)}`,
    );
  }
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: opts.optimization ?? 'all',
  };
  if (opts.threads) options.intraOpNumThreads = opts.threads;
  if (opts.profile) {
    options.enableProfiling = true;
    options.profileFilePrefix = typeof opts.profile === 'string' ? opts.profile : 'tsallis-run-profile';
  }
  if (opts.optimizedModelPath) options.optimizedModelFilePath = opts.optimizedModelPath;
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, options)
      : await ort.InferenceSession.create(model, options);
  } catch (err) {
    if (device !== 'cpu')
      throw new UserError(
        `could not start the '${device}' execution provider: ${(err as Error).message}. ${installHint(device)}`,
      );
    throw err;
  }
}

function installHint(device: Device): string {
  if (device === 'cuda')
    return 'Install the CUDA 12 provider with `npm install onnxruntime-node --onnxruntime-node-install=cuda12` (needs CUDA 12 and cuDNN 9).';
  if (device === 'webgpu') return 'The WebGPU provider needs a Vulkan driver on this machine.';
  return '';
}
