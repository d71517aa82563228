/**
 * The names of the `activations` probe's values in probes.jsonl and the variance shift computed
 * from them, apart from the probe itself (./activations.ts imports TensorFlow.js) so that report
 * sections, which `regulab --help` and `list` load, can read them without loading it.
 */
export type ActivationMode = 'train' | 'inference';

/** The key of a layer's value: `variance(name, mode)`, `square(name, mode)`, … */
export const activationKeys = {
  variance: (layer: string, mode: ActivationMode) => `${layer}/${mode}`,
  square: (layer: string, mode: ActivationMode) => `${layer}/${mode}/square`,
  movingVariance: (layer: string) => `${layer}/moving-variance`,
  shift: (layer: string) => `${layer}/shift`,
};

/**
 * The variance shift at batch norm `bn` fed by layer `input`, from a measurement's values: the
 * mean inference-mode variance of its input over its mean moving variance (= Σ_c var_c / Σ_c σ²_c).
 */
export function varianceShift(values: Record<string, number>, input: string, bn: string): number {
  return values[activationKeys.variance(input, 'inference')]! / values[activationKeys.movingVariance(bn)]!;
}
