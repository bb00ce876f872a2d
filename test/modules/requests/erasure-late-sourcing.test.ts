import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { erasureStep } from '../../../src/modules/requests/erasure.service'
import { startTestApp, type TestApp } from '../../helpers/app'
import { json, type SeededVacancy, seedOpenVacancy, sourcingPayload } from '../../helpers/seed'
import { erasedEvents, heldRows, someone, verifiedErasure } from './erasure.fixtures'

let t: TestApp
let vacancies: SeededVacancy[]

beforeAll(async () => {
  // No workers: the test runs the erasure's steps itself, with a sourcing between two of them.
  t = await startTestApp({ env: { MAIL_TRANSPORT: 'capture', SPARKPOST_WEBHOOK_AUTH: 'Bearer hook' } })
  t.clock.set('2026-02-10T09:00:00Z')
  vacancies = [
    await seedOpenVacancy(t, { clientName: 'First Client' }),
    await seedOpenVacancy(t, { clientName: 'Second Client' }),
    await seedOpenVacancy(t, { clientName: 'Late Client' }),
  ]
})
afterAll(() => t.close())

describe('erasure (Art. 17) meeting a sourcing', () => {
  it('once an erasure has started the person cannot be sourced again, and a candidacy that landed anyway is erased too', async () => {
    const [first, second, late] = vacancies as [SeededVacancy, SeededVacancy, SeededVacancy]
    // Workers only while the person's mail goes out; then none, so no job runs the erasure.
    const worker = await t.sibling({ RUN_WORKERS: 'true' })
    const person = await someone(t, [first, second], '2001')
    await worker.close()
    const requestId = await verifiedErasure(t, first.dpo, person)
    json(await t.request({ method: 'POST', url: `/requests/${requestId}/complete`, as: first.dpo }), 200)
    expect(await erasureStep(t.app.services, requestId)).toBe('cancel_mail')

    // A recruiter sources the same person again while the erasure is under way: refused.
    const again = await t.request({
      method: 'POST',
      url: `/vacancies/${late.id}/candidacies`,
      as: late.recruiter,
      payload: sourcingPayload({ email: person.email, fullName: person.name }),
    })
    expect(again.json()).toMatchObject({ status: 409, code: 'sourcing.suppressed' })
    // A sourcing already past its suppression check when the erasure started commits after it.
    const [row] = await queryRows<{ personId: string }>(
      t.app.db,
      sql`select person_id as "personId" from candidacies where id = ${person.candidacyIds[0]}`,
    )
    const landed = randomUUID()
    await queryRows(
      t.app.db,
      sql`insert into candidacies (id, person_id, vacancy_id, source_type, obtained_at, sourced_by, notice_status,
            stage_changed_at, ledger_seq, ledger_head, created_at, updated_at)
          values (${landed}, ${row!.personId}, ${late.id}, 'github', now(), ${late.recruiter.id}, 'pending',
            now(), 0, ${'0'.repeat(64)}, now(), now())`,
    )
    await queryRows(
      t.app.db,
      sql`insert into facts (candidacy_id, kind, value, source_type, collected_at, collected_by, created_at, updated_at)
          values (${landed}, 'skill', 'Rust', 'github', now(), ${late.recruiter.id}, now(), now())`,
    )

    let step = await erasureStep(t.app.services, requestId)
    while (step !== 'tasks' && step !== 'proof' && step !== 'done')
      step = await erasureStep(t.app.services, requestId)

    const everyCandidacy = { ...person, candidacyIds: [...person.candidacyIds, landed] }
    expect(await heldRows(t, everyCandidacy)).toEqual({
      people: 0,
      person_emails: 0,
      facts: 0,
      link_tokens: 0,
      messages: 0,
      tracking_events: 0,
      candidacies_with_person: 0,
    })
    expect(await erasedEvents(t, everyCandidacy)).toEqual([1, 1, 1])
  })
})
