import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDatabase, type DatabaseHandle, queryRows } from '../../src/db/client'
import { cloneTemplate } from '../helpers/databases'

// A transaction the server rolled back must never be reported as committed: postgres.js keeps
// the first error of any statement in it, even one the caller caught, and throws it at the end.
describe('transactions on the PostgreSQL driver', () => {
  let handle: DatabaseHandle
  let database: Awaited<ReturnType<typeof cloneTemplate>>
  beforeAll(async () => {
    database = await cloneTemplate(inject('templateDatabase'))
    handle = await createDatabase({ url: database.url, dataDir: '', poolSize: 3 })
  }, 60_000)
  afterAll(async () => {
    await handle?.close()
    await database?.drop()
  })

  const within = <T>(promise: Promise<T>, ms = 10_000) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
    ])

  it('reports a transaction the server rolled back as failed, even when the error was caught', async () => {
    const attempt = handle.db.transaction(async (tx) => {
      await queryRows(tx, sql`create temporary table scratch (n int primary key) on commit drop`)
      await queryRows(tx, sql`insert into scratch values (1)`)
      await queryRows(tx, sql`insert into scratch values (1)`).catch(() => undefined)
      return 'done'
    })
    await expect(within(attempt)).rejects.toThrow(/duplicate key/)
  })
})
