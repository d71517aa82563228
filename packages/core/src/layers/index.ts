// Public namespace rl.layers: each module adds its own export line here.
export {};
export { dropout, Dropout, type DropoutArgs } from './dropout.js';
export { lockedDropout, LockedDropout, type LockedDropoutArgs } from './locked-dropout.js';
export { spatialDropout1d, SpatialDropout1d, type SpatialDropout1dArgs } from './spatial-dropout-1d.js';
export { spatialDropout2d, SpatialDropout2d, type SpatialDropout2dArgs } from './spatial-dropout-2d.js';
export { dropBlock, DropBlock, type DropBlockArgs } from './drop-block.js';
export {
  concreteDropoutDense,
  ConcreteDropoutDense,
  concreteLockedDropoutDense,
  ConcreteLockedDropoutDense,
  type ConcreteDropoutDenseArgs,
} from './concrete-dropout-dense.js';
export { gaussianDropout, GaussianDropout, type GaussianDropoutArgs } from './gaussian-dropout.js';
export { alphaDropout, AlphaDropout, type AlphaDropoutArgs } from './alpha-dropout.js';
export { dropConnectDense, DropConnectDense, type DropConnectDenseArgs } from './drop-connect-dense.js';
export { embeddingDropout, EmbeddingDropout, type EmbeddingDropoutArgs } from './embedding-dropout.js';
export { StochasticLayer, type StochasticLayerArgs } from './stochastic-layer.js';
export { lstm, Lstm, type LstmArgs } from './lstm.js';
export { gru, Gru, type GruArgs } from './gru.js';
export {
  fromTorchLstm,
  toTorchLstm,
  fromTorchGru,
  toTorchGru,
  type TorchRecurrentWeights,
} from './weight-transfer.js';
