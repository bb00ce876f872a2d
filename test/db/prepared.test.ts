import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DatabaseHandle, queryRows } from '../../src/db/client'
import { anyOf, prepared } from '../../src/db/prepared'
import { people } from '../../src/modules/people/people.tables'
import { drivers } from '../helpers/drivers'

// `prepared` runs a query as drizzle's named prepared statement on whatever executor built it;
// these prove it stays inside the transaction it is given and works on both drivers we ship.
const at = new Date('2026-03-01T10:00:00.000Z')
const person = (fields: Partial<typeof people.$inferInsert> = {}) => ({
  id: crypto.randomUUID(),
  fullName: 'Statement Test',
  language: 'en' as const,
  createdAt: at,
  updatedAt: at,
  ...fields,
})

describe.each(drivers)('prepared statements and lists (%s)', (_driver, open) => {
  let handle: DatabaseHandle
  let dispose: () => Promise<void>
  beforeAll(async () => {
    ;({ handle, dispose } = await open())
  }, 60_000)
  afterAll(async () => {
    await handle?.close()
    await dispose?.()
  })

  it('reads the same rows as the plain query, dates as the same instant, run after run', async () => {
    const row = person({ phone: null })
    await handle.db.insert(people).values(row)
    for (let run = 0; run < 3; run++) {
      const [found] = await prepared(handle.db.select().from(people).where(eq(people.id, row.id)))
      expect(found).toMatchObject({ id: row.id, phone: null, createdAt: at })
    }
  })

  it('takes a list as one array parameter, whatever its length', async () => {
    const rows = [person(), person(), person()]
    await handle.db.insert(people).values(rows)
    for (const count of [1, 3]) {
      const ids = rows.slice(0, count).map((row) => row.id)
      const found = await prepared(handle.db.select().from(people).where(anyOf(people.id, ids)))
      expect(found.map((row) => row.id).sort()).toEqual([...ids].sort())
    }
    const texts = await queryRows<{ n: number }>(
      handle.db,
      sql`select count(*)::int as n from ${people} where ${anyOf(people.id, [])}`,
    )
    expect(texts[0]?.n).toBe(0)
  })

  it('runs inside the transaction it is given: sees its writes, and a rollback leaves nothing', async () => {
    const row = person()
    const seen = await handle.db
      .transaction(async (tx) => {
        await tx.insert(people).values(row)
        const [inside] = await prepared(tx.select().from(people).where(eq(people.id, row.id)))
        throw Object.assign(new Error('roll back'), { inside })
      })
      .catch((error: { inside?: unknown }) => error.inside)
    expect(seen).toMatchObject({ id: row.id })
    expect(await prepared(handle.db.select().from(people).where(eq(people.id, row.id)))).toEqual([])
  })
})
