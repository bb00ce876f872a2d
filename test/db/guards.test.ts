/**
 * Rules PostgreSQL holds itself, whatever the code path: each is tried here with plain SQL, past
 * every check of the service.
 */
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../src/db/client'
import { violatesConstraint } from '../../src/db/errors'
import { startTestApp, type TestApp } from '../helpers/app'
import { grantConsent, type SeededVacancy, seedOpenVacancy, sourceCandidate } from '../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp()
  t.clock.set('2026-03-02T09:00:00Z')
  vacancy = await seedOpenVacancy(t)
})
afterAll(() => t.close())

const refusal = (query: ReturnType<typeof sql>) =>
  queryRows(t.app.db, query).then(
    () => undefined,
    (error: unknown) => error,
  )

describe('guards in the database', () => {
  it('refuses to introduce a candidacy without live consent (migration 0013)', async () => {
    const introduce = (id: string) =>
      sql`update candidacies set introduced_at = now(), stage = 'introduced' where id = ${id}`
    const unconsented = await sourceCandidate(t, vacancy)
    const error = await refusal(introduce(unconsented.id))
    expect(violatesConstraint(error, 'candidacies_introduction_needs_consent')).toBe(true)

    const consented = await sourceCandidate(t, vacancy)
    await grantConsent(t, consented.id)
    expect(await refusal(introduce(consented.id))).toBeUndefined()
    // Once introduced, a later withdrawal is recorded as ever: the guard is about the moment of introduction.
    expect(
      await refusal(sql`update candidacies set consent_state = 'withdrawn' where id = ${consented.id}`),
    ).toBeUndefined()
  })

  it('keeps one open request of a type per person and per unknown address (migration 0012)', async () => {
    const candidacy = await sourceCandidate(t, vacancy)
    const request = (personId: string | null, email: string | null, type = 'access') => sql`
      insert into subject_requests (type, status, person_id, contact_email, language, channel, received_at, due_at, created_at, updated_at)
      values (${type}, 'received', ${personId}, ${email}, 'en', 'email', now(), now(), now(), now())`
    expect(await refusal(request(candidacy.person.id, null))).toBeUndefined()
    expect(
      violatesConstraint(
        await refusal(request(candidacy.person.id, null)),
        'subject_requests_one_open_per_person',
      ),
    ).toBe(true)
    // Another type, or once the first is closed: allowed.
    expect(await refusal(request(candidacy.person.id, null, 'erasure'))).toBeUndefined()
    await queryRows(
      t.app.db,
      sql`update subject_requests set status = 'completed' where person_id = ${candidacy.person.id} and type = 'access'`,
    )
    expect(await refusal(request(candidacy.person.id, null))).toBeUndefined()

    expect(await refusal(request(null, 'Someone@Example.org'))).toBeUndefined()
    expect(
      violatesConstraint(
        await refusal(request(null, 'someone@example.org')),
        'subject_requests_one_open_per_address',
      ),
    ).toBe(true)
  })
})
