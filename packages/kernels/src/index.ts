export type * from './types.js';
export { backend, gruSequence, lstmSequence } from './dispatch.js';

export const VERSION = '0.1.0';
// The tfjs-ops reference ops, for layers that need what the fast kernels do not offer (norm hooks).
export { referenceLstmSequence, type LstmStepHooks } from './reference/lstm-sequence.js';
export { referenceGruSequence } from './reference/gru-sequence.js';
