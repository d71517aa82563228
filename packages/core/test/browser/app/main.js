// The test app's entry: loads Regulab's kernels with no configuration, trains (./train-lstm.js) on
// tfjs's cpu backend, and reports to the test: on a page as globalThis.__regulab, in a Web Worker
// by postMessage.
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { trainLstm } from './train-lstm.js';

async function main() {
  await tf.setBackend('cpu');
  const kernels = await rl.kernels.ready();
  const losses = await trainLstm();
  return {
    kernels,
    backend: rl.kernels.backend(),
    threads: rl.kernels.kernelThreads(),
    isolated: globalThis.crossOriginIsolated === true,
    worker: typeof document === 'undefined',
    losses,
  };
}

const report = (result) => {
  if (typeof document === 'undefined') globalThis.postMessage(result);
  else globalThis.__regulab = result;
};
main().then(report, (e) => report({ error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) }));
