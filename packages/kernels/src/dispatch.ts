/**
 * Chooses the implementation of the fused sequence ops: native addon, WebAssembly, or the tfjs
 * reference. (Until the fast kernels land, only the reference exists.)
 */
import type {
  GruSequenceInputs,
  GruSequenceOutputs,
  KernelBackend,
  LstmSequenceInputs,
  LstmSequenceOutputs,
} from './types.js';
import { referenceLstmSequence } from './reference/lstm-sequence.js';
import { referenceGruSequence } from './reference/gru-sequence.js';

/** The implementation the fused ops use in this process. */
export function backend(): KernelBackend {
  return 'reference';
}

/** Whole-sequence LSTM forward; differentiable with respect to x, h0, c0, kernel, recurrentKernel and bias. */
export function lstmSequence(inputs: LstmSequenceInputs): LstmSequenceOutputs {
  return referenceLstmSequence(inputs);
}

/** Whole-sequence GRU forward; differentiable with respect to x, h0, kernel, recurrentKernel and bias. */
export function gruSequence(inputs: GruSequenceInputs): GruSequenceOutputs {
  return referenceGruSequence(inputs);
}
