/**
 * The statistics of multi-seed experiments against published values:
 * - two-sided 95% critical values of Student's t from the NIST/SEMATECH e-Handbook of Statistical
 *   Methods, table 1.3.6.7.2 (three decimals), and to 1e-9 from scipy 1.17.1 `stats.t.ppf` /
 *   `stats.t.cdf` (which agree with the table);
 * - the closed forms of t with 1 degree of freedom (Cauchy: F⁻¹(p) = tan(π(p − ½))) and 2 degrees
 *   (F⁻¹(p) = (2p − 1) / √(2p(1 − p)));
 * - Student's sleep data (Cushny & Peebles 1905), the example of R's `t.test(paired = TRUE)`:
 *   t = −4.0621, df = 9, p = 0.002833, 95% CI (−2.4598858, −0.7001142).
 */
import { describe, expect, it } from 'vitest';
import {
  describeSample,
  lnGamma,
  pairedDifference,
  regularizedIncompleteBeta,
  sampleSd,
  studentTCdf,
  studentTQuantile,
} from '../src/stats/index.js';

describe('Student t distribution', () => {
  it('97.5% quantiles match the NIST table (3 decimals) and scipy (1e-9)', () => {
    const golden: [number, number, number][] = [
      // df, NIST table 1.3.6.7.2, scipy.stats.t.ppf(0.975, df)
      [1, 12.706, 12.706204736174694],
      [2, 4.303, 4.302652729749462],
      [3, 3.182, 3.1824463052837078],
      [4, 2.776, 2.7764451051977934],
      [5, 2.571, 2.5705818356363146],
      [9, 2.262, 2.262157162798205],
      [10, 2.228, 2.228138851986274],
      [29, 2.045, 2.045229642132703],
      [30, 2.042, 2.0422724563012378],
    ];
    for (const [df, table, scipy] of golden) {
      const t = studentTQuantile(0.975, df);
      expect(t, `df ${df}`).toBeCloseTo(table, 3);
      expect(Math.abs(t - scipy), `df ${df}`).toBeLessThan(1e-9);
      expect(studentTQuantile(0.025, df)).toBeCloseTo(-t, 12);
    }
  });

  it('other levels and fractional degrees of freedom match scipy', () => {
    const golden: [number, number, number][] = [
      [0.995, 4, 4.604094871349992],
      [0.95, 5, 2.0150483733330233],
      [0.975, 1000, 1.9623390808264083],
      [0.975, 2.5, 3.5746548420036817],
      [0.9, 7.3, 1.4089223177480423],
    ];
    for (const [p, df, scipy] of golden) expect(Math.abs(studentTQuantile(p, df) - scipy)).toBeLessThan(1e-9);
  });

  it('quantiles with 1 and 2 degrees of freedom equal their closed forms', () => {
    for (const p of [0.001, 0.05, 0.2, 0.5, 0.7, 0.9, 0.975, 0.999]) {
      const cauchy = Math.tan(Math.PI * (p - 0.5));
      expect(Math.abs(studentTQuantile(p, 1) - cauchy)).toBeLessThan(1e-9 * Math.max(1, Math.abs(cauchy)));
      const two = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
      expect(Math.abs(studentTQuantile(p, 2) - two)).toBeLessThan(1e-10 * Math.max(1, Math.abs(two)));
    }
  });

  it('the CDF matches scipy and inverts the quantile', () => {
    const golden: [number, number, number][] = [
      [2, 5, 0.9490302605850708],
      [-1.5, 3, 0.11529193262241147],
      [0.5, 12.5, 0.6871195538900826],
      [3, 1, 0.8975836176504333],
    ];
    for (const [t, df, scipy] of golden) expect(Math.abs(studentTCdf(t, df) - scipy)).toBeLessThan(1e-12);
    for (const df of [1, 3, 8.5, 40])
      for (const p of [0.01, 0.3, 0.95]) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12);
    expect(studentTCdf(0, 7)).toBe(0.5);
  });

  it('special functions: Γ(n) = (n − 1)!, Γ(½) = √π, I_x(1, 1) = x, I_x(a, b) = 1 − I_{1−x}(b, a)', () => {
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(lnGamma(0.1)).toBeCloseTo(2.252712651734206, 12); // scipy.special.gammaln(0.1)
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.2, 2.5, 4)).toBeCloseTo(
      1 - regularizedIncompleteBeta(0.8, 4, 2.5),
      14,
    );
  });

  it('rejects bad arguments with the value in the message', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(/p must be in \(0, 1\), got 1/);
    expect(() => studentTQuantile(0.5, 0)).toThrow(/degrees of freedom must be finite and > 0, got 0/);
    expect(() => studentTCdf(1, Infinity)).toThrow(/got Infinity/);
  });
});

describe('describeSample and pairedDifference', () => {
  it('mean, sd and 95% interval of 1..5 (scipy: sd 1.5811388300841898, half-width 1.9632431614775572)', () => {
    const s = describeSample([1, 2, 3, 4, 5]);
    expect(s.mean).toBe(3);
    expect(s.sd!).toBeCloseTo(1.5811388300841898, 14);
    expect(s.halfWidth!).toBeCloseTo(1.9632431614775572, 12);
  });

  it('one value: a mean, but no sd and no interval', () => {
    expect(describeSample([2.5])).toEqual({ n: 1, mean: 2.5, sd: null, level: 0.95, halfWidth: null });
    expect(sampleSd([1])).toBeNull();
    expect(() => describeSample([1, NaN])).toThrow(/finite, got NaN/);
  });

  it("Student's sleep data: the paired t-test of R's t.test example", () => {
    const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
    const byId = (xs: number[]) => new Map(xs.map((x, i) => [i + 1, x]));
    const d = pairedDifference(byId(g1), byId(g2));
    expect(d.n).toBe(10);
    expect(d.mean).toBeCloseTo(-1.58, 12);
    expect(d.mean - d.halfWidth!).toBeCloseTo(-2.459885763276983, 9);
    expect(d.mean + d.halfWidth!).toBeCloseTo(-0.7001142367230175, 9);
    expect(d.pValue!).toBeCloseTo(0.002832890197384273, 10);
    expect(d.supported).toBe(true);
  });

  it('pairs only the shared seeds; a difference inside the noise is not supported', () => {
    const a = new Map([
      [1, 1.0],
      [2, 1.2],
      [3, 0.9],
      [4, 5],
    ]);
    const b = new Map([
      [1, 1.1],
      [2, 1.0],
      [3, 1.0],
    ]);
    const d = pairedDifference(a, b);
    expect(d.seeds).toEqual([1, 2, 3]);
    expect(d.mean).toBeCloseTo(0, 12);
    expect(d.supported).toBe(false);
    expect(pairedDifference(new Map([[1, 2]]), new Map([[1, 1]]))).toMatchObject({
      n: 1,
      mean: 1,
      halfWidth: null,
      pValue: null,
      supported: false,
    });
    expect(() => pairedDifference(new Map([[1, 2]]), new Map([[2, 1]]))).toThrow(/share no seed/);
  });

  it('a constant non-zero difference is supported with zero width', () => {
    const d = pairedDifference(
      new Map([
        [1, 2],
        [2, 3],
      ]),
      new Map([
        [1, 1],
        [2, 2],
      ]),
    );
    expect(d).toMatchObject({ mean: 1, sd: 0, halfWidth: 0, pValue: 0, supported: true });
  });
});
