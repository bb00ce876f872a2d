import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../src/db/client'
import { anyOf, rowInserter, rowUpdater, statement } from '../../src/db/prepared'
import { people } from '../../src/modules/people/people.tables'
import { drivers } from '../helpers/drivers'

// The statement helpers re-use drizzle's built SQL on whatever executor they are given; these
// prove they run on that executor (a transaction's own connection), keep nulls and dates, and
// work on both drivers the service ships with.
const personById = statement((db) =>
  db
    .select()
    .from(people)
    .where(eq(people.id, sql.placeholder('id'))),
)
const peopleByIds = statement((db) => db.select().from(people).where(anyOf(people.id, 'ids')))
const personRows = rowInserter(people)
const updatePerson = rowUpdater(people, people.id)

const at = new Date('2026-03-01T10:00:00.000Z')
const person = (fields: Partial<typeof people.$inferInsert> = {}) => ({
  id: crypto.randomUUID(),
  fullName: 'Statement Test',
  language: 'en' as const,
  createdAt: at,
  updatedAt: at,
  ...fields,
})

describe.each(drivers)('statements built once (%s)', (_driver, open) => {
  let handle: DatabaseHandle
  let dispose: () => Promise<void>
  beforeAll(async () => {
    ;({ handle, dispose } = await open())
  }, 60_000)
  afterAll(async () => {
    await handle?.close()
    await dispose?.()
  })

  it('inserts nulls as NULL and dates as the same instant, whatever shape came first', async () => {
    const full = person({ phone: '+31 6 1234 5678', restrictedAt: new Date('2026-04-01T00:00:00.000Z') })
    const sparse = person({ phone: null, restrictedAt: null })
    const returned = await personRows.insertReturning(handle.db, full)
    await personRows.insert(handle.db, sparse)

    expect(returned).toMatchObject({ id: full.id, phone: '+31 6 1234 5678', restrictedAt: full.restrictedAt })
    const [stored] = await personById(handle.db, { id: sparse.id })
    expect(stored).toMatchObject({ id: sparse.id, phone: null, restrictedAt: null, createdAt: at })
  })

  it('takes a list as one array parameter, whatever its length', async () => {
    const rows = [person(), person(), person()]
    for (const row of rows) await personRows.insert(handle.db, row)
    const ids = (found: Array<{ id: string }>) => found.map((row) => row.id).sort()
    expect(ids(await peopleByIds(handle.db, { ids: rows.map((row) => row.id) }))).toEqual(ids(rows))
    expect(ids(await peopleByIds(handle.db, { ids: [rows[1]!.id] }))).toEqual([rows[1]!.id])
    expect(await peopleByIds(handle.db, { ids: [crypto.randomUUID()] })).toEqual([])
  })

  it('runs inside the transaction it is given: sees its writes, and a rollback leaves nothing', async () => {
    const inside = person()
    await expect(
      handle.db.transaction(async (tx) => {
        await personRows.insert(tx, inside)
        const [seen] = await personById(tx, { id: inside.id })
        expect(seen?.fullName).toBe('Statement Test')
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect(await personById(handle.db, { id: inside.id })).toEqual([])
  })

  it('updates only the columns given, and null clears one', async () => {
    const row = person({ phone: '+31 20 555 0100', location: 'Utrecht' })
    await personRows.insert(handle.db, row)
    await updatePerson(handle.db, row.id, { location: null, headline: 'Backend engineer' })
    const [stored] = await personById(handle.db, { id: row.id })
    expect(stored).toMatchObject({ phone: '+31 20 555 0100', location: null, headline: 'Backend engineer' })
  })

  it('sets an SQL expression as itself, and tells two expressions on the same column apart', async () => {
    const row = person({ location: 'Utrecht' })
    await personRows.insert(handle.db, row)
    await updatePerson(handle.db, row.id, { location: sql`upper(${people.location})` })
    expect((await personById(handle.db, { id: row.id }))[0]).toMatchObject({ location: 'UTRECHT' })
    await updatePerson(handle.db, row.id, { location: sql`lower(${people.location})` })
    expect((await personById(handle.db, { id: row.id }))[0]).toMatchObject({ location: 'utrecht' })
  })

  it('inserts several rows, each with its own values and nulls, whatever the mix of shapes', async () => {
    const located = [person({ location: 'Delft' }), person({ location: 'Gouda' })]
    const sparse = [person({ phone: null }), person({ phone: null }), person({ phone: null })]
    const alone = person({ headline: 'Only one of its shape' })
    await personRows.insertAll(handle.db, [
      located[0]!,
      sparse[0]!,
      alone,
      located[1]!,
      sparse[1]!,
      sparse[2]!,
    ])
    // The same count and shape again: the statement built for it is used again.
    const more = [person({ location: 'Breda' }), person({ location: 'Assen' })]
    await personRows.insertAll(handle.db, more)

    const stored = await peopleByIds(handle.db, {
      ids: [...located, ...sparse, alone, ...more].map((row) => row.id),
    })
    const byId = new Map(stored.map((row) => [row.id, row]))
    for (const row of [...located, ...more])
      expect(byId.get(row.id)).toMatchObject({ location: row.location })
    for (const row of sparse) expect(byId.get(row.id)).toMatchObject({ phone: null, createdAt: at })
    expect(byId.get(alone.id)).toMatchObject({ headline: 'Only one of its shape' })
    expect(stored).toHaveLength(8)
  })

  it('skips a row that conflicts when told to, and says so', async () => {
    const once = rowInserter(people, { ignoreConflictsOn: people.id })
    const row = person()
    expect(await once.insertReturning(handle.db, row)).toMatchObject({ id: row.id })
    expect(await once.insertReturning(handle.db, { ...row, fullName: 'Second' })).toBeUndefined()
    expect((await personById(handle.db, { id: row.id }))[0]).toMatchObject({ fullName: 'Statement Test' })
  })

  it('a nested transaction that fails rolls back to its savepoint; the outer one commits', async () => {
    const outer = person()
    const inner = person()
    await handle.db.transaction(async (tx) => {
      await personRows.insert(tx, outer)
      await expect(
        tx.transaction(async (nested) => {
          await personRows.insert(nested, inner)
          throw new Error('inner fails')
        }),
      ).rejects.toThrow('inner fails')
    })
    expect(await personById(handle.db, { id: outer.id })).toHaveLength(1)
    expect(await personById(handle.db, { id: inner.id })).toHaveLength(0)
  })
})
