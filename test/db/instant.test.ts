import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../src/db/client'
import { parseTimestamptz } from '../../src/db/instant'
import { clients } from '../../src/db/schema'
import { drivers } from '../helpers/drivers'

/** Instants PostgreSQL takes in ISO form and Date can write: years 1 to 9999. */
const yearOne = new Date(0)
yearOne.setUTCFullYear(1, 0, 1)
const lastOfYear9999 = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

describe.each(drivers)('timestamps on %s', (_name, open) => {
  let database: { handle: DatabaseHandle; dispose(): Promise<void> }
  beforeAll(async () => {
    database = await open()
  })
  afterAll(async () => {
    await database.handle.close()
    await database.dispose()
  })

  it.each([
    '0001-01-01T00:00:00.000Z',
    '0020-06-15T00:00:00.000Z',
    '0099-06-15T12:34:56.789Z',
    '0100-01-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '2026-03-02T09:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
  ])('reads back %s exactly as written', async (written) => {
    const { db } = database.handle
    const [row] = await db
      .insert(clients)
      .values({ name: 'Acme', country: 'NL', createdAt: new Date(written) })
      .returning({ id: clients.id })
    const [read] = await db
      .select({ createdAt: clients.createdAt })
      .from(clients)
      .where(eq(clients.id, row!.id))
    expect(read!.createdAt.toISOString()).toBe(written)
  })
})

describe('parseTimestamptz', () => {
  it('reads what PostgreSQL writes, whatever the year and offset', () => {
    fc.assert(
      fc.property(
        fc.date({ min: yearOne, max: new Date(lastOfYear9999), noInvalidDate: true }),
        fc.integer({ min: -15 * 60, max: 15 * 60 }),
        (date, offsetMinutes) => {
          // The text PostgreSQL writes for this instant with TimeZone at the given offset.
          const local = new Date(date.getTime() + offsetMinutes * 60_000)
          const iso = local.toISOString()
          const sign = offsetMinutes < 0 ? '-' : '+'
          const abs = Math.abs(offsetMinutes)
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
          const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}${offset}`
          if (local.getUTCFullYear() < 1 || local.getUTCFullYear() > 9999) return
          expect(parseTimestamptz(text).getTime()).toBe(date.getTime())
        },
      ),
    )
  })

  it('reads years before 1 and ±infinity', () => {
    expect(parseTimestamptz('0001-01-01 00:00:00+00 BC').getUTCFullYear()).toBe(0)
    expect(parseTimestamptz('infinity').getTime()).toBe(8.64e15)
    expect(parseTimestamptz('-infinity').getTime()).toBe(-8.64e15)
    expect(() => parseTimestamptz('yesterday')).toThrow(TypeError)
  })
})
