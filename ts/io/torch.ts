import { Backend } from '../core/backend.js';
import { Affine } from '../layers/affine.js';
import type { Layer } from '../layers/layer.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
import { Sequential } from '../nets/sequential.js';
import { formatShape, type Tensor } from '../core/tensor.js';
import { readSafetensors, toFloat32, type SafetensorsEntry } from './safetensors.js';

export interface TorchImportOptions {
  /** The activation between the Linear layers (default `'relu'`). */
  activation?: 'relu' | 'sigmoid';
}

const KEY = /^(0|[1-9]\d{0,5})\.(weight|bias)$/;

/**
 * A `Sequential` from a safetensors file of a PyTorch `nn.Sequential` of `nn.Linear` layers
 * (`torch.save`'s state dict written with `safetensors.torch.save_file`): keys `0.weight`
 * `[out, in]`, `0.bias` `[out]`, `2.weight`, …, in the order of their indices. Weights are
 * transposed to this library's `[in, out]`; F32 is read as is, F16 / BF16 exactly and F64
 * rounded to f32; other dtypes are refused by name. A Linear without bias gets zeros.
 */
export function importTorchMlp(backend: Backend, bytes: Uint8Array, options: TorchImportOptions = {}): Sequential {
  if (!(backend instanceof Backend))
    throw new Error(`importTorchMlp: expected a Backend (from createBackend), got ${backend === null ? 'null' : typeof backend}`);
  const activation = options.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'sigmoid')
    throw new Error(`importTorchMlp: expected activation 'relu' or 'sigmoid', got ${JSON.stringify(activation)}`);
  const { tensors } = readSafetensors(bytes);

  // Group the keys by module index; nothing else may be in the file.
  const modules = new Map<number, { weight?: SafetensorsEntry; bias?: SafetensorsEntry }>();
  for (const [name, entry] of tensors) {
    const match = KEY.exec(name);
    if (!match)
      throw new Error(
        `importTorchMlp: unexpected tensor '${name}'; expected the keys of an nn.Sequential of nn.Linear (0.weight, 0.bias, 2.weight, …)`,
      );
    const index = Number(match[1]);
    const slot = modules.get(index) ?? {};
    slot[match[2] as 'weight' | 'bias'] = entry;
    modules.set(index, slot);
  }
  if (modules.size === 0) throw new Error('importTorchMlp: the file has no tensors; expected 0.weight, 0.bias, …');

  // Check every shape against its neighbours before converting or allocating anything.
  const linears = [...modules.entries()].sort(([a], [b]) => a - b);
  let features: number | null = null;
  for (const [index, { weight, bias }] of linears) {
    if (!weight) throw new Error(`importTorchMlp: '${index}.bias' has no '${index}.weight'`);
    if (weight.shape.length !== 2)
      throw new Error(`importTorchMlp: '${index}.weight' must be [out, in], got shape ${formatShape(weight.shape)}`);
    const [outputs, inputs] = weight.shape;
    if (outputs === 0 || inputs === 0) throw new Error(`importTorchMlp: '${index}.weight' has an empty shape ${formatShape(weight.shape)}`);
    if (features !== null && inputs !== features)
      throw new Error(`importTorchMlp: '${index}.weight' takes ${inputs} inputs but the layer before gives ${features}`);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outputs)) {
      throw new Error(
        `importTorchMlp: '${index}.bias' must have shape [${outputs}] to match '${index}.weight' ${formatShape(weight.shape)}, got ${formatShape(bias.shape)}`,
      );
    }
    features = outputs;
  }
  const values = linears.map(([, { weight, bias }]) => ({
    weight: toFloat32(weight!, 'importTorchMlp'),
    bias: bias ? toFloat32(bias, 'importTorchMlp') : new Float32Array(weight!.shape[0]),
    shape: weight!.shape,
  }));

  const created: Tensor[] = [];
  try {
    const layers: [string, Layer][] = [];
    values.forEach(({ weight, bias, shape: [outputs, inputs] }, i) => {
      const transposed = new Float32Array(inputs * outputs);
      for (let o = 0; o < outputs; o++) for (let k = 0; k < inputs; k++) transposed[k * outputs + o] = weight[o * inputs + k];
      const W = backend.tensor(transposed, [inputs, outputs]);
      created.push(W);
      const b = backend.tensor(bias, [outputs]);
      created.push(b);
      layers.push([`Affine${i + 1}`, new Affine(W, b)]);
      if (i < values.length - 1) layers.push(activation === 'relu' ? [`Relu${i + 1}`, new Relu()] : [`Sigmoid${i + 1}`, new Sigmoid()]);
    });
    return new Sequential(layers);
  } catch (e) {
    for (const t of created) t.dispose();
    throw e;
  }
}
