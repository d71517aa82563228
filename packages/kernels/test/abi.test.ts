/**
 * The kernel boundary declared once (src/fused/abi.ts): the generated C++ header and
 * AssemblyScript module are what abi.ts generates now, the declared layouts are consistent, the
 * native addon refuses arguments laid out otherwise, and both compiled backends draw seeded
 * zoneout exactly as src/fused/zoneout-hash.ts does: they get its key and threshold, so a seeded
 * call equals the same call given the mask zoneoutMaskFromSeed draws, bit for bit, on every seed
 * (including one whose first draw lies on the threshold, where rounding the rate to float32
 * before taking ⌊rate·2²⁴⌋, as the addon once did, would keep instead of update).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFiles, inCodeOrder, upperSnake } from '../src/fused/abi-emit.js';
import {
  NATIVE_BUFFERS,
  NATIVE_FLOATS,
  NATIVE_INTS,
  WASM_CONTEXT,
  WASM_CONTEXT_FIELDS,
  WASM_FIELD,
  ZONEOUT_FIELDS,
  inSlots,
} from '../src/fused/abi.js';
import type { FusedImpl, FusedZoneout, GruArgs, LstmArgs } from '../src/fused/impl.js';
import { fmix32, zoneoutDraw, zoneoutMaskFromSeed } from '../src/fused/zoneout-hash.js';
import { checkLayout, loadNativeBinding } from '../src/native/binding.js';
import { nativeLayoutHash } from '../src/native/layout-hash.js';
import { nativeImpl } from '../src/native/native-impl.js';
import { createWasmImpl } from '../src/wasm/impl.js';

const { binding } = loadNativeBinding();
const wasm = createWasmImpl();
afterAll(() => wasm.dispose());
const backends: [string, FusedImpl][] = [['wasm', wasm]];
if (binding) backends.push(['native', nativeImpl(binding)]);

describe('generated sides of the boundary', () => {
  for (const { path, text } of generatedFiles()) {
    it(`${path} is what src/fused/abi.ts generates (else: npm run gen:abi -w packages/kernels)`, () => {
      const committed = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
      expect(committed, `${path} is stale or edited by hand: run npm run gen:abi -w packages/kernels`).toBe(
        text,
      );
      expect(committed).toMatch(/do not edit/);
    });
  }

  it('names the C++ and AssemblyScript constants after the TypeScript ones', () => {
    expect(upperSnake('zoneoutCellKey')).toBe('ZONEOUT_CELL_KEY');
    expect(upperSnake('dRecurrentKernel')).toBe('D_RECURRENT_KERNEL');
    expect(upperSnake('dh0')).toBe('DH0');
    const header = generatedFiles()[0].text;
    NATIVE_INTS.forEach((name, i) => expect(header).toContain(`INTS_${upperSnake(name)} = ${i};`));
  });
});

describe('declared layouts', () => {
  it('numbers every code table 0..n−1 (the addon bounds a code by the count), else says which code', () => {
    expect(inCodeOrder({ b: 1, a: 0 })).toEqual(['a', 'b']);
    expect(() => inCodeOrder({ a: 0, b: 2 })).toThrow('code b = 2: codes must be 0..1');
  });

  it('gives every wasm context entry its own fields, inside the block', () => {
    const taken = new Set<number>();
    for (const [name, width] of WASM_CONTEXT) {
      for (let f = WASM_FIELD[name]; f < WASM_FIELD[name] + width; f++) {
        expect(taken.has(f), `field ${f} of ${name} is also another entry's`).toBe(false);
        taken.add(f);
      }
    }
    expect(Math.max(...taken)).toBeLessThan(WASM_CONTEXT_FIELDS);
    expect(WASM_FIELD.ZH - WASM_FIELD.ZC).toBe(ZONEOUT_FIELDS.length);
  });

  it('puts named values in slot order', () => {
    const values = Object.fromEntries(NATIVE_BUFFERS.gruForward.map((n, i) => [n, i])) as Record<
      (typeof NATIVE_BUFFERS.gruForward)[number],
      number
    >;
    expect(inSlots(NATIVE_BUFFERS.gruForward, values)).toEqual(NATIVE_BUFFERS.gruForward.map((_, i) => i));
    expect(NATIVE_BUFFERS.gruForward.slice(0, 5)).toEqual(['sequence', 'h', 'tapeGates', 'tapeHs', 'tapeUh']);
  });
});

describe('loading the native addon', () => {
  it('refuses an addon built against another layout, or before addons reported one, saying to rebuild', () => {
    for (const stale of [{ abi: () => '0123456789abcdef' }, {}]) {
      const { binding: got, reason } = checkLayout(stale);
      expect(got).toBeNull();
      expect(reason).toMatch(
        /built against another argument layout .*npm run build:native -w packages\/kernels/,
      );
    }
    const current = { abi: () => nativeLayoutHash() };
    expect(checkLayout(current).binding).toBe(current);
  });
});

describe.skipIf(binding === null)('native addon and the declared layout', () => {
  it('was built against the layout of the sources', () => {
    expect(binding!.abi()).toBe(nativeLayoutHash());
  });

  it('refuses a call whose arguments are laid out otherwise, naming the count and the fix', () => {
    // 13 ints: the layout before the zoneout key and threshold were passed in.
    const call = () => binding!.lstmForward(new Int32Array(13), new Float64Array(2), []);
    expect(call).toThrow(
      new RegExp(`lstmForward: got 13 ints, expects ${NATIVE_INTS.length} .*npm run build:native`),
    );
    const bufs = () =>
      binding!.gruForward(new Int32Array(NATIVE_INTS.length), new Float64Array(NATIVE_FLOATS.length), [null]);
    const nbufs = NATIVE_BUFFERS.gru.length + NATIVE_BUFFERS.gruForward.length;
    expect(bufs).toThrow(new RegExp(`gruForward: got 1 buffers, expects ${nbufs}`));
  });
});

/** fmix32⁻¹ (murmur3's finaliser is a bijection of u32): to pick a seed whose draw is chosen. */
function unfmix32(h: number): number {
  let z = (h ^ (h >>> 16)) >>> 0;
  z = Math.imul(z, 0x7ed1b41d) >>> 0; // 0xc2b2ae35⁻¹ mod 2³²
  z = (z ^ (z >>> 13) ^ (z >>> 26)) >>> 0;
  z = Math.imul(z, 0xa5cb9243) >>> 0; // 0x85ebca6b⁻¹ mod 2³²
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seed whose draw n = 0 is u with (u >>> 8) = `high`, for the given rate's threshold. */
function seedDrawing(high: number): number {
  return unfmix32(unfmix32(((high << 8) | 0x5a) >>> 0));
}

const dims = { batch: 3, steps: 4, inputDim: 2, units: 9 };
const n = (k: number, s: number) => Float32Array.from({ length: k }, (_, i) => Math.sin(i * 1.3 + s) * 0.5);

function common(zh: FusedZoneout) {
  const { batch: B, steps: T, inputDim: D, units: H } = dims;
  return {
    dims,
    x: n(B * T * D, 1),
    h0: n(B * H, 2),
    recurrentMask: null,
    candidateMask: null,
    candidatePerStep: false,
    zoneoutHidden: zh,
    stepMask: null,
    goBackwards: false,
    sequenceOutput: true,
    activation: 2,
    recurrentActivation: 1,
  };
}
function lstm(zc: FusedZoneout, zh: FusedZoneout): LstmArgs {
  const { inputDim: D, units: H, batch: B } = dims;
  return {
    ...common(zh),
    kernel: n(D * 4 * H, 3),
    recurrentKernel: n(H * 4 * H, 4),
    bias: n(4 * H, 5),
    c0: n(B * H, 6),
    zoneoutCell: zc,
  };
}
function gru(zh: FusedZoneout): GruArgs {
  const { inputDim: D, units: H } = dims;
  return {
    ...common(zh),
    kernel: n(D * 3 * H, 3),
    recurrentKernel: n(H * 3 * H, 4),
    bias: n(3 * H, 5),
    resetAfter: false,
  };
}
/** The seeded zoneout as the mask the TypeScript hash draws. */
function asMask(z: { rate: number; seed: number }): FusedZoneout {
  return { mode: 'mask', mask: zoneoutMaskFromSeed(z.seed, z.rate, dims.steps, dims.batch, dims.units) };
}

function expectSeededIsMask(
  impl: FusedImpl,
  zc: { rate: number; seed: number },
  zh: { rate: number; seed: number },
) {
  const seeded = impl.lstmForward(lstm({ mode: 'seeded', ...zc }, { mode: 'seeded', ...zh }), false);
  const masked = impl.lstmForward(lstm(asMask(zc), asMask(zh)), false);
  expect(Array.from(seeded.sequence), `lstm ${JSON.stringify({ zc, zh })}`).toEqual(
    Array.from(masked.sequence),
  );
  expect(Array.from(seeded.c)).toEqual(Array.from(masked.c));
  const g = impl.gruForward(gru({ mode: 'seeded', ...zh }), false);
  expect(Array.from(g.sequence), `gru ${JSON.stringify(zh)}`).toEqual(
    Array.from(impl.gruForward(gru(asMask(zh)), false).sequence),
  );
}

describe.each(backends)('%s seeded zoneout is the TypeScript draw', (_name, impl) => {
  it('on 40 seeds and rates 0.05, 0.3, 0.5, 0.9 (bit for bit)', () => {
    for (let s = 0; s < 40; s++) {
      for (const rate of [0.05, 0.3, 0.5, 0.9])
        expectSeededIsMask(impl, { rate, seed: s * 7919 }, { rate, seed: s });
    }
  });

  it('on a draw exactly at the threshold, where a float32 rate would round the other way', () => {
    const rate = 0.3;
    const { threshold } = zoneoutDraw(0, rate);
    // ⌊fround(0.3)·2²⁴⌋ is one more than ⌊0.3·2²⁴⌋: this draw separates the two formulas.
    expect(Math.floor(Math.fround(rate) * 2 ** 24)).toBe(threshold + 1);
    const onIt = seedDrawing(threshold);
    expect(fmix32(fmix32(onIt)) >>> 8).toBe(threshold);
    expect(zoneoutMaskFromSeed(onIt, rate, 1, 1, 1)[0], 'u >>> 8 = threshold updates (d = 0)').toBe(0);
    const below = seedDrawing(threshold - 1);
    expect(zoneoutMaskFromSeed(below, rate, 1, 1, 1)[0], 'u >>> 8 < threshold keeps (d = 1)').toBe(1);
    expectSeededIsMask(impl, { rate, seed: onIt }, { rate, seed: onIt });
    expectSeededIsMask(impl, { rate, seed: below }, { rate, seed: onIt });
  });
});
