/**
 * The helper thread's code, as text so that it needs no file of its own and works from src/, dist/
 * and any bundle alike: Node runs it with `new Worker(code, { eval: true })` (CommonJS, data in
 * workerData, answering 'ready'), browsers from a Blob URL (data in the first message, answered with 'ready'). It
 * instantiates the module it is given on the shared memory, then loops: sleep on the control word
 * (Atomics.wait), run the named export with the arguments in the control block, publish
 * completion (Atomics.notify).
 *
 * Control block (Int32Array over a SharedArrayBuffer): [0] task counter, [1] last finished task,
 * [2] export index (−1 = exit), [3..15] arguments, [16] ready, [17] error flag.
 */
export const CTRL = { SEQ: 0, DONE: 1, FN: 2, ARGS: 3, READY: 16, ERROR: 17, SIZE: 32 } as const;

/** The loop, given `module`, `memory`, `ctrl` (SharedArrayBuffer) and `names` in scope. */
const LOOP = `
const c = new Int32Array(ctrl);
const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } });
const fns = names.map((n) => inst.exports[n]);
Atomics.store(c, ${CTRL.READY}, 1);
Atomics.notify(c, ${CTRL.READY});
ready();
let seen = 0;
for (;;) {
  const s = Atomics.load(c, ${CTRL.SEQ});
  if (s === seen) { Atomics.wait(c, ${CTRL.SEQ}, seen); continue; }
  seen = s;
  const f = Atomics.load(c, ${CTRL.FN});
  if (f < 0) break;
  try {
    const a = [];
    for (let i = 0; i < 12; i++) a.push(c[${CTRL.ARGS} + i]);
    fns[f](...a);
  } catch (e) {
    Atomics.store(c, ${CTRL.ERROR}, 1);
  }
  Atomics.store(c, ${CTRL.DONE}, seen);
  Atomics.notify(c, ${CTRL.DONE});
}
`;

/** For Node's worker_threads (eval: true). */
export const NODE_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, ctrl, names } = workerData;
const ready = () => parentPort.postMessage('ready');
${LOOP}`;

/** For a browser's Worker (classic script from a Blob URL). */
export const BROWSER_WORKER_SOURCE = `
self.onmessage = (event) => {
  const { module, memory, ctrl, names } = event.data;
  const ready = () => self.postMessage('ready');
  ${LOOP}
  self.close();
};`;
