export type * from './types.js';
export { backend, gruSequence, lstmSequence } from './dispatch.js';

export const VERSION = '0.1.0';
