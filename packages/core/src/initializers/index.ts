// Public namespace rl.initializers.
export { Orthogonal, orthogonal } from './orthogonal.js';
