/**
 * Field numbers of the call context the WebAssembly kernels read (mirror of
 * wasm/assembly/ctx.ts: keep the two in step), and the zoneout modes.
 */
export const F = {
  B: 0,
  T: 1,
  D: 2,
  H: 3,
  HP: 4,
  NP: 5,
  DX: 6,
  DP: 7,
  ACT: 8,
  GACT: 9,
  XA: 10,
  WP: 11,
  UP: 12,
  WTP: 13,
  UTP: 14,
  H0: 15,
  C0: 16,
  RMASK: 17,
  CMASK: 18,
  CSTEP: 19,
  ZC: 20,
  ZH: 25,
  SMASK: 30,
  ACTS: 31,
  YS: 32,
  CS: 33,
  HS: 34,
  HHAT: 35,
  DSEQ: 36,
  DHT: 37,
  DCT: 38,
  DAP: 39,
  DXO: 40,
  DHC: 41,
  DCC: 42,
  DHH: 43,
  DW: 44,
  DU: 45,
  Q: 46,
  PREU: 47,
  BREC: 48,
  DBREC: 49,
  RESET_AFTER: 50,
  DAPX: 51,
  DQ: 52,
  ONE: 53,
  SCR: 54,
} as const;

/** Bytes of the context block. */
export const CONTEXT_BYTES = 64 * 4;

export const ZONEOUT_MODE = { none: 0, mask: 1, expectation: 2, seeded: 3 } as const;

/** Units padded to whole 8-float panels. */
export function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
