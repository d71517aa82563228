/**
 * Depthwise 2-D convolution (NHWC, filter [KH, KW, C, M], output channel c·M + q) and both its
 * gradients in plain JavaScript: the DepthwiseConv2dOps (./impl.ts) of a backend without its own
 * (the WebAssembly build, or no addon). Direct loops with the channel axis innermost, as the
 * native kernels (native/src/depthwise.cc):
 *
 *     forward          y[n, i, j, c·M + q] = Σ_{kh, kw} x[n, i·sh + kh·dh − padTop, j·sw + kw·dw − padLeft, c] · f[kh, kw, c, q]
 *     input gradient   dx[n, h, w, c] = Σ over the taps whose output pixel exists of Σ_q dy[…, c·M + q] · f[kh, kw, c, q]
 *     filter gradient  df[kh, kw, c, q] = Σ_{n, oh, ow} x[n, ih, iw, c] · dy[n, oh, ow, c·M + q] (float64 sums)
 */
import type { ConvGeometry, DepthwiseConv2dOps } from './impl.js';

/** The geometry's sizes as locals (the hot loops read plain numbers). */
function dims(g: ConvGeometry) {
  const {
    batch: N,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    outChannels: OC,
  } = g;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = g;
  const { dilationHeight: DH, dilationWidth: DW, padTop: PT, padLeft: PL } = g;
  return { N, H, W, C, OH, OW, OC, M: OC / C, KH, KW, SH, SW, DH, DW, PT, PL };
}

function forward(g: ConvGeometry, x: Float32Array, f: Float32Array, y: Float32Array): void {
  const { N, H, W, C, OH, OW, OC, M, KH, KW, SH, SW, DH, DW, PT, PL } = dims(g);
  y.fill(0);
  for (let n = 0, o = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++, o += OC)
        for (let kh = 0; kh < KH; kh++) {
          const ih = i * SH + kh * DH - PT;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = j * SW + kw * DW - PL;
            if (iw < 0 || iw >= W) continue;
            const s = ((n * H + ih) * W + iw) * C;
            const t = (kh * KW + kw) * OC;
            for (let c = 0; c < C; c++) {
              const v = x[s + c];
              for (let q = 0, k = c * M; q < M; q++, k++) y[o + k] += v * f[t + k];
            }
          }
        }
}

function backpropInput(g: ConvGeometry, dy: Float32Array, f: Float32Array, dx: Float32Array): void {
  const { N, H, W, C, OH, OW, OC, M, KH, KW, SH, SW, DH, DW, PT, PL } = dims(g);
  dx.fill(0);
  for (let n = 0, d = 0; n < N; n++)
    for (let ih = 0; ih < H; ih++)
      for (let iw = 0; iw < W; iw++, d += C)
        for (let kh = 0; kh < KH; kh++) {
          const th = ih + PT - kh * DH;
          if (th < 0 || th % SH !== 0 || th / SH >= OH) continue;
          for (let kw = 0; kw < KW; kw++) {
            const tw = iw + PL - kw * DW;
            if (tw < 0 || tw % SW !== 0 || tw / SW >= OW) continue;
            const s = ((n * OH + th / SH) * OW + tw / SW) * OC;
            const t = (kh * KW + kw) * OC;
            for (let c = 0; c < C; c++) {
              let sum = 0;
              for (let q = 0, k = c * M; q < M; q++, k++) sum += dy[s + k] * f[t + k];
              dx[d + c] += sum;
            }
          }
        }
}

function backpropFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array, df: Float32Array): void {
  const { N, H, W, C, OH, OW, OC, M, KH, KW, SH, SW, DH, DW, PT, PL } = dims(g);
  const acc = new Float64Array(OC);
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++) {
      acc.fill(0);
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH + kh * DH - PT;
          if (ih < 0 || ih >= H) continue;
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * SW + kw * DW - PL;
            if (iw < 0 || iw >= W) continue;
            const s = ((n * H + ih) * W + iw) * C;
            const d = ((n * OH + oh) * OW + ow) * OC;
            for (let c = 0; c < C; c++) {
              const v = x[s + c];
              for (let q = 0, k = c * M; q < M; q++, k++) acc[k] += v * dy[d + k];
            }
          }
        }
      df.set(acc, (kh * KW + kw) * OC);
    }
}

/** The depthwise convolution of plain JavaScript (every output written in full). */
export const jsDepthwiseConv2d: DepthwiseConv2dOps = { forward, backpropInput, backpropFilter };
