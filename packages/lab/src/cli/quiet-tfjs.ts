/**
 * tfjs's CPU backend prints, on its first use in Node, a banner advising to install tfjs-node.
 * The lab does not use tfjs-node on purpose (its fused kernels replace it: README), so on every
 * run the banner is noise; this filter drops that one message and lets every other warning by.
 */
const BANNER = 'looks like you are running TensorFlow.js in Node.js';

export function silenceTfjsNodeBanner(): void {
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes(BANNER)) return;
    warn(...args);
  };
}
