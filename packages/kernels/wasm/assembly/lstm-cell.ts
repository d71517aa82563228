/**
 * Pieces of the LSTM step both LSTM kernels share, plain (./lstm.ts) and normalised
 * (./lstm-norm.ts): the gates and c̃ of four units, and their backward from dc̃ (gate order i, f,
 * c, o; the equations are those of ./lstm.ts).
 */
import { ACT_SIGMOID, ACT_TANH, vact, vdact, vsigmoid, vtanh } from './math';
import { storePacked } from './seq';

/**
 * The gates of one LSTM step and their backward, static methods so that they can be marked @inline
 * (see ./zoneout.ts's ZoneoutPad); never instantiated.
 */
export class LstmGates {
  /**
   * Units o4/4.. of one row: the gates from the pre-activations at a (ACTS, gate blocks hpB bytes
   * apart) plus the recurrent term sa bytes further (SCR), i, f, g_raw, o stored over them; returns
   * c̃ = f ⊙ c_{k−1} + i ⊙ g_raw ⊙ m_cand (cm: the candidate-mask row, 0 for none; cp: c_{k−1}).
   */
  @inline static forward(
    a: usize,
    sa: usize,
    hpB: usize,
    o4: usize,
    cm: usize,
    cp: usize,
    act: i32,
    gact: i32,
  ): v128 {
    const gs = gact == ACT_SIGMOID,
      ts = act == ACT_TANH; // the common case, inlined
    const gi = a + o4,
      gf = gi + hpB,
      gg = gf + hpB,
      go = gg + hpB;
    const iIn = f32x4.add(v128.load(gi), v128.load(gi + sa)),
      fIn = f32x4.add(v128.load(gf), v128.load(gf + sa)),
      grIn = f32x4.add(v128.load(gg), v128.load(gg + sa)),
      oIn = f32x4.add(v128.load(go), v128.load(go + sa));
    const i = gs ? vsigmoid(iIn) : vact(gact, iIn),
      f = gs ? vsigmoid(fIn) : vact(gact, fIn),
      gr = ts ? vtanh(grIn) : vact(act, grIn),
      o = gs ? vsigmoid(oIn) : vact(gact, oIn);
    v128.store(gi, i);
    v128.store(gf, f);
    v128.store(gg, gr);
    v128.store(go, o);
    const g = cm != 0 ? f32x4.mul(gr, v128.load(cm + o4)) : gr;
    return f32x4.add(f32x4.mul(f, v128.load(cp + o4)), f32x4.mul(i, g));
  }

  /**
   * The backward of forward's c̃ for units u.. (o4 = 4u bytes): from dc̃, ∂a of i, f and g (di ⊙ σ'(i),
   * df ⊙ σ'(f), dg_raw ⊙ φ'(g_raw)) into the row at da (gate blocks hpB apart; may be a, the
   * activations' row), and with dap ≠ 0 into its packed panels, row `row` of BT; returns dc̃ ⊙ f,
   * the part of dc_{k−1} through the forget gate.
   */
  @inline static backward(
    a: usize,
    da: usize,
    hpB: usize,
    u: i32,
    dct: v128,
    cm: usize,
    cp: usize,
    act: i32,
    gact: i32,
    dap: usize,
    BT: i32,
    row: i32,
  ): v128 {
    const o4 = (<usize>u) << 2;
    const i = v128.load(a + o4),
      f = v128.load(a + hpB + o4),
      gr = v128.load(a + 2 * hpB + o4);
    const mc = cm != 0 ? v128.load(cm + o4) : f32x4.splat(1);
    const g = cm != 0 ? f32x4.mul(gr, mc) : gr;
    const dai = f32x4.mul(f32x4.mul(dct, g), vdact(gact, i));
    const daf = f32x4.mul(f32x4.mul(dct, v128.load(cp + o4)), vdact(gact, f));
    const dag = f32x4.mul(f32x4.mul(f32x4.mul(dct, i), mc), vdact(act, gr));
    v128.store(da + o4, dai);
    v128.store(da + hpB + o4, daf);
    v128.store(da + 2 * hpB + o4, dag);
    if (dap != 0) {
      const HP = <i32>(hpB >> 2);
      storePacked(dap, BT, row, u, dai);
      storePacked(dap, BT, row, HP + u, daf);
      storePacked(dap, BT, row, 2 * HP + u, dag);
    }
    return f32x4.mul(dct, f);
  }
}
