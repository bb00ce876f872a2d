import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/cli'
import { queryRows } from '../../../src/db/client'
import { parseKeyring } from '../../../src/lib/field-crypto'
import { startTestApp, type TestApp } from '../../helpers/app'
import { json, type SeededVacancy, seedOpenVacancy, sourcingPayload } from '../../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy
const BSN = '123456782'
const PASSPORT = 'NXC4R8T19'

beforeAll(async () => {
  t = await startTestApp()
  vacancy = await seedOpenVacancy(t)
})
afterAll(() => t.close())

describe('high-risk identifiers', () => {
  it('are encrypted per field, shown only in the single staff read, never in lists, and survive a key rotation', async () => {
    const candidacy = json<{ identifiers: Array<{ kind: string; value: string }> }>(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/candidacies`,
        as: vacancy.recruiter,
        payload: sourcingPayload({
          identifiers: [
            { kind: 'bsn', value: BSN },
            { kind: 'passport', value: PASSPORT },
          ],
        }),
      }),
      201,
    )
    expect(candidacy.identifiers).toEqual([
      { kind: 'bsn', value: BSN },
      { kind: 'passport', value: PASSPORT },
    ])
    const raw = await queryRows<{ ciphertext: string; key_id: string }>(
      t.app.db,
      sql`select ciphertext, key_id from person_identifiers`,
    )
    expect(raw).toHaveLength(2)
    const dump = await queryRows<{ dump: string }>(
      t.app.db,
      sql`select string_agg(p::text, ' ') as dump from person_identifiers p`,
    )
    expect(dump[0]!.dump).not.toContain(BSN)
    expect(dump[0]!.dump).not.toContain(PASSPORT)
    expect(raw.every((row) => row.key_id === 'k1')).toBe(true)

    const list = await t.request({
      method: 'GET',
      url: `/vacancies/${vacancy.id}/candidacies`,
      as: vacancy.recruiter,
    })
    expect(list.body).not.toContain(BSN)
    expect(t.logs.join('')).not.toContain(BSN)

    // Rotate to a new key: the CLI re-encrypts under the newest key of FIELD_ENCRYPTION_KEYS.
    const keys = `${t.config.FIELD_ENCRYPTION_KEYS},k2:${randomBytes(32).toString('base64')}`
    await runCli(['keys:rotate'], {
      DATABASE_URL: t.databaseUrl,
      DATA_DIR: t.config.DATA_DIR,
      FIELD_ENCRYPTION_KEYS: keys,
    })
    const rotated = await queryRows<{ ciphertext: string; key_id: string }>(
      t.app.db,
      sql`select ciphertext, key_id from person_identifiers`,
    )
    expect(rotated.every((row) => row.key_id === 'k2')).toBe(true)
    expect(rotated.map((row) => row.ciphertext).sort()).not.toEqual(raw.map((row) => row.ciphertext).sort())

    // The service with only the new key (the old one retired) still reads them.
    const keyring = parseKeyring(keys.split(',')[1]!)
    const [row] = await queryRows<{ person_id: string; ciphertext: string; key_id: string }>(
      t.app.db,
      sql`select person_id, ciphertext, key_id from person_identifiers where kind = 'bsn'`,
    )
    expect(
      keyring.decrypt({ keyId: row!.key_id, ciphertext: row!.ciphertext }, `person:${row!.person_id}:bsn`),
    ).toBe(BSN)
  })

  it('a ciphertext moved to another person does not decrypt', () => {
    const keyring = parseKeyring(`k1:${randomBytes(32).toString('base64')}`)
    const sealed = keyring.encrypt(BSN, 'person:a:bsn')
    expect(keyring.decrypt(sealed, 'person:a:bsn')).toBe(BSN)
    expect(() => keyring.decrypt(sealed, 'person:b:bsn')).toThrow()
  })
})
