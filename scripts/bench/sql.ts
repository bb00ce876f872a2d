/** The SQL Candor's repositories send, taken from drizzle itself so a baseline runs exactly the same statement. */
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import type { Database } from '../../src/db/client'
import * as schema from '../../src/db/schema'
import { postgresTarget } from '../../src/db/url'
import { findVacancyDetail } from '../../src/modules/vacancies/vacancies.repository'

export const PLACEHOLDER_ID = '00000000-0000-4000-8000-00000000feed'

export interface CapturedStatement {
  text: string
  /** Parameters as drizzle sends them; PLACEHOLDER_ID marks where the request's id goes. */
  params: unknown[]
}

/** Runs a repository function against drizzle's mock driver and keeps the statement it logged. */
export async function captureStatement(run: (db: Database) => Promise<unknown>): Promise<CapturedStatement> {
  let captured: CapturedStatement | undefined
  const db = drizzle.mock({
    schema,
    logger: {
      logQuery: (text, params) => {
        captured ??= { text, params }
      },
    },
  }) as unknown as Database
  await run(db).catch(() => {})
  if (!captured) throw new Error('the repository function sent no statement')
  return captured
}

export const vacancyDetailStatement = () => captureStatement((db) => findVacancyDetail(db, PLACEHOLDER_ID))

export const bind = (statement: CapturedStatement, id: string) =>
  statement.params.map((param) => (param === PLACEHOLDER_ID ? id : param)) as never[]

/** A plain postgres.js client for a baseline or a seed, on the same URL (TCP or Unix socket) as Candor. */
export function rawPostgres(url: string, options: { max: number }) {
  const target = postgresTarget(url)
  return postgres(target.url, { ...target.options, ...options, onnotice: () => {} })
}
