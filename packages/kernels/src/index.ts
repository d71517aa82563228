export type * from './types.js';
export {
  backend,
  cpuKernels,
  fusedCanNormalize,
  fusedImpl,
  fusedOptimizerUpdate,
  gruSequence,
  kernelDescription,
  kernelNotice,
  kernelThreads,
  lstmSequence,
  ready,
  seededMaskValues,
  setKernelBackend,
  setKernelThreads,
} from './dispatch.js';
export type * from './fused/impl.js';
export { ACTIVATION_CODE, OPTIMIZER_KIND, UNARY_CODE } from './fused/impl.js';
export { jsBinary, jsOptimizerUpdate, jsUnary } from './fused/js-elementwise.js';
export { zoneoutMaskFromSeed } from './fused/zoneout-hash.js';
export { dropoutMaskFromSeed } from './fused/dropout-hash.js';
export { peekData, recycleOutputs, recycledBytesHeld } from './fused/recycled-outputs.js';

export const VERSION = '0.1.0';
// The tfjs-ops reference ops, for layers that need what the fast kernels do not offer (norm hooks).
export { referenceLstmSequence, type LstmStepHooks } from './reference/lstm-sequence.js';
export { referenceGruSequence, type GruStepHooks } from './reference/gru-sequence.js';
