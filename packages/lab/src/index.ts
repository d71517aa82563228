export const VERSION = '0.1.0';
export * as datasets from './datasets/index.js';
export * as report from './report/index.js';
export * as model from './model/index.js';
