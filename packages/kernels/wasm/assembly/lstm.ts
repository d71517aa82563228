/**
 * Whole-sequence LSTM, forward and backward through time, on rows [r0, r1) of the batch (rows are
 * independent through time, so two threads each run their own rows with no synchronisation).
 *
 * Step k (gate order i, f, c, o; σ gate activation, φ activation; see src/reference/lstm-sequence.ts):
 *   a = [x_k, 1]·[W; b] + ĥ_{k−1}·U,  ĥ = h ⊙ m_rec
 *   i, f, o = σ(a_i, a_f, a_o);  g = φ(a_g) ⊙ m_cand
 *   c̃ = f ⊙ c_{k−1} + i ⊙ g;  y = φ(c̃);  h̃ = o ⊙ y
 *   c_k = pad(zoneout(c_{k−1}, c̃)), h_k = pad(zoneout(h_{k−1}, h̃))
 * Backward (per element; D = incoming gradient after padding and zoneout):
 *   dh̃ → do = dh̃ ⊙ y,  dc̃ += dh̃ ⊙ o ⊙ φ'(y)
 *   di = dc̃ ⊙ g, df = dc̃ ⊙ c_{k−1}, dg_raw = dc̃ ⊙ i ⊙ m_cand, dc_{k−1} += dc̃ ⊙ f
 *   da = (di σ'(i), df σ'(f), dg_raw φ'(g_raw), do σ'(o));  dh_{k−1} += (da·Uᵀ) ⊙ m_rec
 * and after the sequence dW = [X,1]ᵀ·da (bias in the last row), dU = Ĥᵀ·da, dx = da·Wᵀ.
 */
import {
  geti,
  getp,
  F_ACT,
  F_ACTS,
  F_B,
  F_CS,
  F_DAP,
  F_DAPN,
  F_DCC,
  F_DHC,
  F_DHH,
  F_DSEQ,
  F_DU,
  F_DW,
  F_DX,
  F_GACT,
  F_GNH,
  F_HHAT,
  F_HP,
  F_HS,
  F_NKIND,
  F_NP,
  F_SCR,
  F_SMASK,
  F_T,
  F_XA,
  F_YS,
  F_ZC,
  F_ZH,
} from './ctx';
import { gemm } from './gemm';
import {
  beginForward,
  candMask,
  carryRow,
  endBackward,
  gateRow,
  incomingDh,
  initCarry,
  nextHhatRow,
  panelShare,
  ptr4,
  recMaskRow,
  recurrentGradient,
  stateRow,
  stepMaskAt,
  storeNorms,
  storePacked,
  timesU,
  unitRow,
} from './seq';
import { LstmGates } from './lstm-cell';
import { ACT_TANH, vact, vdact, vtanh } from './math';
import { hasZoneout, ZoneoutPad } from './zoneout';

function lstmCellForward(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const ts = act == ACT_TANH; // the common case, inlined
  const a = gateRow(ctx, F_ACTS, b, k);
  const sa = ptr4(getp(ctx, F_SCR), b * geti(ctx, F_NP)) - a; // the GEMM output, as an offset from a
  const ys = unitRow(ctx, F_YS, b, k);
  const cp = stateRow(ctx, F_CS, b, k);
  const hp = stateRow(ctx, F_HS, b, k);
  const cn = cp + ((<usize>HP) << 2),
    hn = hp + ((<usize>HP) << 2);
  const cm = candMask(ctx, b, k);
  const rm = recMaskRow(ctx, k + 1, b); // ĥ_{k+1} = h_k ⊙ the mask of step k + 1
  const hh = nextHhatRow(ctx, b, k);
  const padded = getp(ctx, F_SMASK) != 0,
    m = stepMaskAt(ctx, b, k);
  const zc = hasZoneout(ctx, F_ZC),
    zh = hasZoneout(ctx, F_ZH);
  const hpB = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    const ct = LstmGates.forward(a, sa, hpB, o4, cm, cp, act, gact);
    const y = ts ? vtanh(ct) : vact(act, ct);
    v128.store(ys + o4, y);
    const ht = f32x4.mul(v128.load(a + 3 * hpB + o4), y);
    const c = ZoneoutPad.forward(ctx, F_ZC, zc, padded, m, k, b, u, v128.load(cp + o4), ct),
      h = ZoneoutPad.forward(ctx, F_ZH, zh, padded, m, k, b, u, v128.load(hp + o4), ht);
    v128.store(cn + o4, c);
    v128.store(hn + o4, h);
    if (hh != 0) v128.store(hh + o4, rm != 0 ? f32x4.mul(h, v128.load(rm + o4)) : h);
  }
}

/** Forward over rows [r0, r1): the input GEMM for all steps, then the recurrence. */
export function lstmForward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T),
    NP = geti(ctx, F_NP);
  beginForward(ctx, r0, r1, true);
  const hhat = getp(ctx, F_HHAT),
    scr = ptr4(getp(ctx, F_SCR), r0 * NP);
  for (let k = 0; k < T; k++) {
    timesU(ctx, hhat, r0, r1, k, 0, NP >> 3, scr, (<usize>NP) << 2, false);
    for (let b = r0; b < r1; b++) lstmCellForward(ctx, b, k);
  }
}

function lstmCellBackward(ctx: usize, b: i32, k: i32): void {
  const HP = geti(ctx, F_HP);
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    row = b * geti(ctx, F_T) + k;
  const act = geti(ctx, F_ACT),
    gact = geti(ctx, F_GACT);
  const a = gateRow(ctx, F_ACTS, b, k);
  const ys = unitRow(ctx, F_YS, b, k);
  const cp = stateRow(ctx, F_CS, b, k);
  const cm = candMask(ctx, b, k);
  const rm = recMaskRow(ctx, k + 1, b); // dĥ_{k+1} (from step k + 1's GEMM) through its mask
  const ds = unitRow(ctx, F_DSEQ, b, k);
  const norms = getp(ctx, F_GNH) != 0;
  let sqh = f32x4.splat(0),
    sqc = f32x4.splat(0);
  const dhc = carryRow(ctx, F_DHC, b),
    dcc = carryRow(ctx, F_DCC, b),
    dhh = carryRow(ctx, F_DHH, b);
  const dap = getp(ctx, F_DAP);
  const zc = hasZoneout(ctx, F_ZC),
    zh = hasZoneout(ctx, F_ZH);
  const m = stepMaskAt(ctx, b, k);
  const hpB = (<usize>HP) << 2;
  for (let u = 0; u < HP; u += 4) {
    const o4 = (<usize>u) << 2;
    const dhIn = incomingDh(ds, dhc, dhh, rm, o4);
    const dcIn = v128.load(dcc + o4);
    if (norms) {
      // ∂L/∂h_{k+1}, ∂L/∂c_{k+1} complete here
      sqh = f32x4.add(sqh, f32x4.mul(dhIn, dhIn));
      sqc = f32x4.add(sqc, f32x4.mul(dcIn, dcIn));
    }
    // the carried dh_k, dc_k (→ DHC, DCC) and what reaches h̃, c̃
    const dhz = ZoneoutPad.backward(ctx, F_ZH, zh, m, k, b, u, dhIn, dhc + o4),
      dcz = ZoneoutPad.backward(ctx, F_ZC, zc, m, k, b, u, dcIn, dcc + o4);
    const go = a + 3 * hpB + o4;
    const o = v128.load(go),
      y = v128.load(ys + o4);
    const dct = f32x4.add(dcz, f32x4.mul(f32x4.mul(dhz, o), vdact(act, y)));
    const dcf = LstmGates.backward(a, a, hpB, u, dct, cm, cp, act, gact, dap, BT, row);
    const dao = f32x4.mul(f32x4.mul(dhz, y), vdact(gact, o));
    v128.store(go, dao);
    storePacked(dap, BT, row, 3 * HP + u, dao);
    v128.store(dcc + o4, f32x4.add(v128.load(dcc + o4), dcf));
  }
  if (norms) storeNorms(ctx, b, k, sqh, sqc);
}

/** Backward through time over rows [r0, r1), then dx of those rows. */
export function lstmBackward(ctx: usize, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const T = geti(ctx, F_T);
  const acts = getp(ctx, F_ACTS);
  initCarry(ctx, r0, r1, true);
  for (let k = T - 1; k >= 0; k--) {
    for (let b = r0; b < r1; b++) lstmCellBackward(ctx, b, k);
    recurrentGradient(ctx, acts, r0, r1, k);
  }
  endBackward(ctx, r0, r1);
}

/** The weight gradients, share `part` of `parts` of the panels: dW = [X,1]ᵀ·da, dU = Ĥᵀ·da. */
export function weightGrads(ctx: usize, part: i32, parts: i32): void {
  const BT = geti(ctx, F_B) * geti(ctx, F_T),
    HP = geti(ctx, F_HP),
    NP = geti(ctx, F_NP),
    DX = geti(ctx, F_DX);
  const dap = getp(ctx, F_DAP);
  // normalised (./lstm-norm.ts): dW takes ∂(x·W), dU ∂(ĥ·U); plain: both the same da
  const dapx = geti(ctx, F_NKIND) != 0 ? getp(ctx, F_DAPN) : dap;
  const P = NP >> 3;
  const p0 = panelShare(P, part, parts),
    p1 = panelShare(P, part + 1, parts);
  gemm(
    DX,
    BT,
    getp(ctx, F_XA),
    4,
    (<usize>DX) << 2,
    dapx,
    BT,
    p0,
    p1,
    getp(ctx, F_DW),
    (<usize>NP) << 2,
    false,
  );
  gemm(
    HP,
    BT,
    getp(ctx, F_HHAT),
    4,
    (<usize>HP) << 2,
    dap,
    BT,
    p0,
    p1,
    getp(ctx, F_DU),
    (<usize>NP) << 2,
    false,
  );
}
