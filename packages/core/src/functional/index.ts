// Public namespace rl.functional: the pure functions under the layers. Each module adds its own export line here.
export { dropout, lockedDropout, dropConnect, type CallSeed } from './dropout.js';
export { spatialDropout2d, type DataFormat } from './spatial-dropout-2d.js';
export { dropBlock, dropBlockGamma } from './drop-block.js';
export { concreteDropout, concreteDropoutPenalty, concreteKeepMask } from './concrete-dropout.js';
export { gaussianDropout } from './gaussian-dropout.js';
export { alphaDropout, alphaDropoutAffine } from './alpha-dropout.js';
export { embeddingDropout } from './embedding-dropout.js';
export { resolveNoiseShape, type NoiseShape } from './noise-shape.js';
