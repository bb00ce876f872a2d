import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { neutraliseCell, toCsv } from '../../src/lib/csv'
import { parseCsv } from '../helpers/csv'

describe('CSV exports', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+31 6 1234 5678', "'+31 6 1234 5678"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=cmd', "'\t=cmd"],
    ['\r=cmd', "'\r=cmd"],
  ])('makes %j text a spreadsheet shows rather than runs (OWASP CSV Injection)', (cell, shown) => {
    expect(neutraliseCell(cell)).toBe(shown)
    expect(parseCsv(toCsv([['header'], [cell]]))).toEqual([['header'], [shown]])
  })

  it('leaves other text as it is, and writes nothing for a missing value', () => {
    for (const cell of ['Senior engineer', "'quoted", 'a=b', ' =leading space', '2026-03-02T09:00:00.000Z'])
      expect(neutraliseCell(cell)).toBe(cell)
    expect(toCsv([[null, undefined, 0]])).toBe('"","","0"\r\n')
  })

  it('reads back every cell as written (RFC 4180), neutralised only where a formula could start', () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', ' ', ',', '"', '\r', '\n', '\t', '=', '+', '-', '@', "'"),
    })
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
        (rows) => {
          expect(parseCsv(toCsv(rows))).toEqual(rows.map((row) => row.map(neutraliseCell)))
          for (const row of parseCsv(toCsv(rows)))
            for (const read of row) expect(read).not.toMatch(/^[=+\-@\t\r]/)
        },
      ),
    )
  })
})
