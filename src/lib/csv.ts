/**
 * The one CSV writer: every export (records of processing, access log, CLI) goes through it.
 * RFC 4180: every field quoted, quotes doubled, CRLF after each record.
 */

/**
 * A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV Injection);
 * tab and carriage return are stripped by some before they look at the next character.
 */
const FORMULA_START = /^[=+\-@\t\r]/

/** The text a spreadsheet shows as it is: a leading single quote makes the cell text (OWASP). */
export function neutraliseCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value)
  return FORMULA_START.test(text) ? `'${text}` : text
}

const field = (value: unknown) => `"${neutraliseCell(value).replaceAll('"', '""')}"`

/** A CSV document of a header row and data rows. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return rows.map((row) => `${row.map(field).join(',')}\r\n`).join('')
}
