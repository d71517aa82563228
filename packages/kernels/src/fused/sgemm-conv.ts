/**
 * 2-D convolution (Conv2dOps, NHWC) on any fast Sgemm, with im2col and col2im in JavaScript: the
 * convolution of a backend that has a GEMM but no convolution of its own (the WebAssembly build).
 * The same decomposition as the native kernels (native/src/conv.cc), with col the im2col matrix
 * [rows = N·OH·OW, K = KH·KW·C] and the filter read as F [K, OC]:
 *
 *     forward          y = col · F
 *     input gradient   dx = col2im(dy · Fᵀ)   (each input pixel gathers its taps in (kh, kw) order)
 *     filter gradient  dF = colᵀ · dy          (summed over chunks in order)
 *
 * col is built for chunks of whole images of at most 2²² floats (16 MB).
 */
import type { Conv2dOps, ConvGeometry, Sgemm } from './impl.js';

const CHUNK_FLOATS = 2 ** 22;

/** Calls `run(n0, images)` for consecutive chunks of whole images. */
function forChunks(g: ConvGeometry, run: (n0: number, images: number) => void): void {
  const perImage = g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.inChannels;
  const chunk = Math.max(1, Math.min(g.batch, Math.floor(CHUNK_FLOATS / Math.max(perImage, 1))));
  for (let n0 = 0; n0 < g.batch; n0 += chunk) run(n0, Math.min(chunk, g.batch - n0));
}

/** col [images·OH·OW, K] of the images from n0: col[r][(kh·KW + kw)·C + c], 0 in the padding. */
function im2col(g: ConvGeometry, x: Float32Array, n0: number, images: number): Float32Array {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = g;
  const { dilationHeight: DH, dilationWidth: DW, padTop: PT, padLeft: PL } = g;
  const K = KH * KW * C;
  const col = new Float32Array(images * OH * OW * K); // zero: the padding
  for (let n = 0, d = 0; n < images; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH + kh * DH - PT;
          for (let kw = 0; kw < KW; kw++, d += C) {
            const iw = ow * SW + kw * DW - PL;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const s = (((n0 + n) * H + ih) * W + iw) * C;
            for (let c = 0; c < C; c++) col[d + c] = x[s + c];
          }
        }
  return col;
}

/** dx of the images from n0: each pixel the sum of dcol's entries of its taps, in (kh, kw) order. */
function col2im(g: ConvGeometry, dcol: Float32Array, n0: number, images: number, dx: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = g;
  const { dilationHeight: DH, dilationWidth: DW, padTop: PT, padLeft: PL } = g;
  const K = KH * KW * C;
  for (let n = 0; n < images; n++)
    for (let ih = 0; ih < H; ih++)
      for (let iw = 0; iw < W; iw++) {
        const d = (((n0 + n) * H + ih) * W + iw) * C;
        for (let kh = 0; kh < KH; kh++) {
          const th = ih + PT - kh * DH;
          if (th < 0 || th % SH !== 0 || th / SH >= OH) continue;
          for (let kw = 0; kw < KW; kw++) {
            const tw = iw + PL - kw * DW;
            if (tw < 0 || tw % SW !== 0 || tw / SW >= OW) continue;
            const s = ((n * OH + th / SH) * OW + tw / SW) * K + (kh * KW + kw) * C;
            for (let c = 0; c < C; c++) dx[d + c] += dcol[s + c];
          }
        }
      }
}

/** The Conv2dOps of `sgemm` (every output is written in full: dx and dfilter start from zero). */
export function sgemmConv2d(sgemm: Sgemm): Conv2dOps {
  const K = (g: ConvGeometry) => g.filterHeight * g.filterWidth * g.inChannels;
  const pixels = (g: ConvGeometry) => g.outHeight * g.outWidth;
  return {
    forward(g, x, filter, y) {
      forChunks(g, (n0, images) => {
        const rows = images * pixels(g);
        const out = sgemm(im2col(g, x, n0, images), filter, rows, K(g), g.outChannels, false, false);
        y.set(out, n0 * pixels(g) * g.outChannels);
      });
    },
    backpropInput(g, dy, filter, dx) {
      dx.fill(0);
      forChunks(g, (n0, images) => {
        const rows = images * pixels(g);
        const at = n0 * pixels(g) * g.outChannels;
        const dyChunk = dy.subarray(at, at + rows * g.outChannels);
        col2im(g, sgemm(dyChunk, filter, rows, g.outChannels, K(g), false, true), n0, images, dx);
      });
    },
    backpropFilter(g, x, dy, dfilter) {
      dfilter.fill(0);
      forChunks(g, (n0, images) => {
        const rows = images * pixels(g);
        const at = n0 * pixels(g) * g.outChannels;
        const dyChunk = dy.subarray(at, at + rows * g.outChannels);
        const part = sgemm(im2col(g, x, n0, images), dyChunk, K(g), rows, g.outChannels, true, false);
        for (let i = 0; i < part.length; i++) dfilter[i] += part[i];
      });
    },
  };
}
