/**
 * The call context: one block of i32 fields in linear memory, written by the JavaScript loader
 * (src/wasm/context.ts holds the same field numbers: keep the two in step). Pointers are byte
 * offsets; float fields are stored as their f32 bits. Layouts are batch-major and in PROCESSING
 * order (the loader reverses x and the step mask for goBackwards); row widths are padded: units
 * to HP = ⌈H/8⌉·8 per gate, gates to NP = G·HP, inputs to DX = D + 1 (a trailing 1 carries the
 * bias through the input GEMM) and DP = ⌈D/8⌉·8 for dx.
 */

export const F_B: i32 = 0;
export const F_T: i32 = 1;
export const F_D: i32 = 2;
export const F_H: i32 = 3;
export const F_HP: i32 = 4;
export const F_NP: i32 = 5;
export const F_DX: i32 = 6;
export const F_DP: i32 = 7;
export const F_ACT: i32 = 8;
export const F_GACT: i32 = 9;
export const F_XA: i32 = 10; // [B][T][DX] inputs with a trailing 1
export const F_WP: i32 = 11; // packed [DX, NP] (kernel rows, then the input bias)
export const F_UP: i32 = 12; // packed [HP, NP]
export const F_WTP: i32 = 13; // packed [NP, DP] (kernel transposed)
export const F_UTP: i32 = 14; // packed [NP, HP] (recurrent kernel transposed)
export const F_H0: i32 = 15; // [B][HP]
export const F_C0: i32 = 16; // [B][HP]
export const F_RMASK: i32 = 17; // [B][HP] Gal recurrent mask or 0
export const F_CMASK: i32 = 18; // [B][HP] or [T][B][HP] candidate mask or 0
export const F_CSTEP: i32 = 19; // 1 when the candidate mask is per step
export const F_ZC: i32 = 20; // zoneout of c: 5 fields (mode, mask ptr [T][B][HP], rate bits, key, threshold)
export const F_ZH: i32 = 25; // zoneout of h: 5 fields
export const F_SMASK: i32 = 30; // [B][T] step mask or 0
export const F_ACTS: i32 = 31; // [B][T][NP] pre-activations → activations → da
export const F_YS: i32 = 32; // [B][T][HP] LSTM φ(c̃)
export const F_CS: i32 = 33; // [B][T+1][HP] cell states (index 0 = c0)
export const F_HS: i32 = 34; // [B][T+1][HP] hidden states (index 0 = h0)
export const F_HHAT: i32 = 35; // [B][T][HP] h_{k−1} ⊙ Gal mask (the recurrent GEMM's input)
export const F_DSEQ: i32 = 36; // [B][T][HP] gradient of the sequence output
export const F_DHT: i32 = 37; // [B][HP] gradient of the last h
export const F_DCT: i32 = 38; // [B][HP] gradient of the last c
export const F_DAP: i32 = 39; // packed da: panels of [B·T][8]
export const F_DXO: i32 = 40; // [B][T][DP] dx
export const F_DHC: i32 = 41; // [B][HP] carried dh (→ dh0)
export const F_DCC: i32 = 42; // [B][HP] carried dc (→ dc0)
export const F_DHH: i32 = 43; // [B][HP] dĥ from the transposed recurrent GEMM
export const F_DW: i32 = 44; // [DX][NP] dkernel with the bias gradient in row D
export const F_DU: i32 = 45; // [HP][NP] drecurrentKernel
export const F_Q: i32 = 46; // GRU reset-before: [B][T][HP] r ⊙ ĥ
export const F_PREU: i32 = 47; // GRU reset-after: [B][T][NP] ĥ·U + b_rec
export const F_BREC: i32 = 48; // GRU reset-after: [NP] recurrent bias
export const F_DBREC: i32 = 49; // GRU reset-after: [2][NP] per-thread partial sums of du
export const F_RESET_AFTER: i32 = 50;
export const F_DAPX: i32 = 51; // GRU reset-after: packed dx-side da of the h gate ([HP/8] panels)
export const F_DQ: i32 = 52; // GRU reset-before: [B][HP] dq scratch
export const F_ONE: i32 = 53; // the float 1.0 (an all-ones GEMM operand with stride 0)
export const F_SCR: i32 = 54; // [B][NP] the recurrent GEMM's output of the current step
export const FIELDS: i32 = 64;

export function geti(ctx: usize, f: i32): i32 {
  return load<i32>(ctx + ((<usize>f) << 2));
}
export function getp(ctx: usize, f: i32): usize {
  return <usize>load<u32>(ctx + ((<usize>f) << 2));
}
export function getf(ctx: usize, f: i32): f32 {
  return load<f32>(ctx + ((<usize>f) << 2));
}

/** Zoneout of one state for the 4 units at (k, b, u): the keep weight d (0/1, or the rate). */
export const Z_NONE: i32 = 0;
export const Z_MASK: i32 = 1;
export const Z_EXPECT: i32 = 2;
export const Z_SEEDED: i32 = 3;
