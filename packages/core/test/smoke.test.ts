import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';

describe('package', () => {
  it('exports a version', () => {
    expect(rl.VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
