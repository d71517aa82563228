/**
 * Reproducible randomness for stochastic layers.
 *
 * A `SeedStream` turns one user seed into a sequence of per-call seeds: call k of a layer draws
 * its masks from `next()`, so two layers built with the same seed draw the same masks call for
 * call, a layer draws a fresh mask on every call, and a resumed run that restores the counter
 * (`state` / `restore`) draws exactly the masks an uninterrupted run would. Without a seed the
 * stream starts from `Math.random()`, so unseeded layers still draw fresh masks every call.
 *
 * Sub-streams (`fork(tag)`) give independent streams to the parts of one layer (input mask,
 * recurrent mask, zoneout masks) without their draws shifting each other.
 */
export class SeedStream {
  private counter = 0;
  private readonly base: number;

  constructor(seed?: number | null) {
    this.base = seed == null ? Math.floor(Math.random() * 2 ** 31) : mix32(seed >>> 0);
  }

  /** The seed for the next call; advances the stream. */
  next(): number {
    this.counter += 1;
    return mix32(this.base ^ Math.imul(this.counter, 0x9e3779b1));
  }

  /** An independent stream derived from this one's seed and a tag. */
  fork(tag: string): SeedStream {
    let h = this.base;
    for (let i = 0; i < tag.length; i++) h = mix32(h ^ tag.charCodeAt(i));
    return new SeedStream(h);
  }

  /** The number of seeds drawn so far (saved in checkpoints). */
  get state(): number {
    return this.counter;
  }

  /** Restores a counter saved with `state`. */
  restore(counter: number): void {
    this.counter = counter;
  }
}

/** A 32-bit integer mixer (the finaliser of MurmurHash3); returns a non-negative int. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 1;
}
