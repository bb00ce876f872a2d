/**
 * An RFC 4180 reader for the tests (no CSV parser is a dependency): records end with CRLF,
 * fields may be quoted, a quote inside a quoted field is doubled. Anything else is an error, so a
 * malformed export fails the test rather than being read some lenient way.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  /** The field was quoted and its closing quote seen: only a separator may follow. */
  let closed = false
  const endField = () => {
    record.push(field)
    field = ''
    closed = false
  }
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quoted) {
      if (char !== '"') field += char
      else if (text[i + 1] === '"') {
        field += '"'
        i++
      } else {
        quoted = false
        closed = true
      }
    } else if (char === ',') endField()
    else if (char === '\r' && text[i + 1] === '\n') {
      endField()
      records.push(record)
      record = []
      i++
    } else if (closed) throw new Error(`CSV: text after a closing quote at ${i}`)
    else if (char === '"') {
      if (field !== '') throw new Error(`CSV: a quote inside an unquoted field at ${i}`)
      quoted = true
    } else if (char === '\r' || char === '\n') throw new Error(`CSV: a line break outside quotes at ${i}`)
    else field += char
  }
  if (quoted) throw new Error('CSV: a quoted field is not closed')
  if (field !== '' || closed || record.length > 0) {
    endField()
    records.push(record)
  }
  return records
}
