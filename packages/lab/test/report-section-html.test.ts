import { describe, expect, it } from 'vitest';
import { listHtml, paragraphsHtml, tableHtml, tableSectionHtml } from '../src/report/section-html.js';

describe('section HTML (report/section-html.ts)', () => {
  it('writes one header row and one row per data row, numeric columns marked', () => {
    const html = tableHtml(
      ['variant', { title: 'accuracy', num: true }],
      [
        ['none', '97.1%'],
        ['dropout', 0.5],
      ],
    );
    expect(html.startsWith('<div class="table-wrap"><table>')).toBe(true);
    expect(html.match(/<tr>/g)).toHaveLength(3);
    expect(html).toContain('<th scope="col">variant</th><th scope="col" class="num">accuracy</th>');
    expect(html).toContain('<tr><td>dropout</td><td class="num">0.5</td></tr>');
  });

  it('escapes text cells and headings but keeps cells given as HTML', () => {
    const html = tableHtml(['a < b', 'verdict'], [['x & "y"', { html: '<strong>adds up</strong>' }]]);
    expect(html).toContain('<th scope="col">a &lt; b</th>');
    expect(html).toContain('<td>x &amp; &quot;y&quot;</td><td><strong>adds up</strong></td>');
  });

  it('puts the introduction before the table and one paragraph per conclusion after it', () => {
    const html = tableSectionHtml('Means over <3> seeds.', { columns: ['c'], rows: [['v']] }, [
      'one.',
      'two.',
    ]);
    expect(html).toMatch(
      /^<p>Means over &lt;3&gt; seeds\.<\/p><div class="table-wrap">.*<\/div><p>one\.<\/p><p>two\.<\/p>$/,
    );
    expect(paragraphsHtml([])).toBe('');
  });

  it('writes a list with one escaped item per sentence', () => {
    expect(listHtml(['a < b.', 'c.'])).toBe('<ul><li>a &lt; b.</li><li>c.</li></ul>');
    expect(listHtml([])).toBe('<ul></ul>');
  });

  it('refuses a row whose length differs from the columns, naming the row', () => {
    expect(() => tableHtml(['a', 'b'], [['1', '2'], ['3']])).toThrow(
      /table row 1 has 1 cells but the table has 2 columns/,
    );
  });
});
