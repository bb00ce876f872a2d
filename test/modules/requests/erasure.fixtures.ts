import { sql } from 'drizzle-orm'
import { expect, vi } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { normaliseEmail } from '../../../src/lib/email-address'
import { enqueueOutreach } from '../../../src/modules/outreach/outreach.service'
import { isSuppressed } from '../../../src/modules/suppression/suppression.service'
import type { TestApp, TestUser } from '../../helpers/app'
import {
  allMailSent,
  answerConsent,
  json,
  requestConsent,
  type SeededVacancy,
  sourcingPayload,
} from '../../helpers/seed'
import { findTraces } from '../../helpers/traces'

/** Shared by the erasure test files: a person with data everywhere, and what "erased" means. */

/** The fields of an erasure request (GET /requests/:id) that the erasure tests read. */
export interface ErasureRequest {
  status: string
  currentStep: string | null
  contactEmail: string | null
  transitions: Array<{ status: string; step?: string }>
  result: { removed: Record<string, number>; check: { found: unknown[]; columns: number } }
  tasks: Array<{ id: string; confirmedBy: string | null }>
}

export interface Someone {
  email: string
  name: string
  phone: string
  candidacyIds: string[]
}

/**
 * A person with a candidacy for each vacancy, an encrypted identifier, consent, mail sent and a
 * provider event: data everywhere. A worker (in process or not) must be running to send the mail.
 */
export async function someone(t: TestApp, targets: SeededVacancy[], tag: string): Promise<Someone> {
  const email = `Erase.${tag}@Example.org`
  const name = `Eraseme ${tag} Persona`
  const phone = `+31 6 5555 ${tag.padStart(4, '0').slice(-4)}`
  const candidacyIds: string[] = []
  for (const target of targets) {
    const payload = sourcingPayload({
      email,
      fullName: name,
      person: { phone },
      identifiers: [{ kind: 'bsn', value: '999999990' }],
    })
    const candidacy = json<{ id: string }>(
      await t.request({
        method: 'POST',
        url: `/vacancies/${target.id}/candidacies`,
        as: target.recruiter,
        payload,
      }),
      201,
    )
    candidacyIds.push(candidacy.id)
  }
  const [first] = targets
  const links = await requestConsent(t, candidacyIds[0]!, first!.recruiter)
  await answerConsent(t, links.consentUrl)
  const { messageId } = await enqueueOutreach(
    t.app.services,
    first!.recruiter.id,
    candidacyIds[1]!,
    'art14_notice',
  )
  await vi.waitFor(
    async () => {
      const [row] = await queryRows<{ status: string }>(
        t.app.db,
        sql`select status from messages where id = ${messageId}`,
      )
      expect(row?.status).toBe('sent')
    },
    { timeout: 15_000, interval: 50 },
  )
  await t.request({
    method: 'POST',
    url: '/webhooks/sparkpost',
    headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
    payload: [
      {
        msys: {
          message_event: {
            type: 'delivery',
            event_id: `erase-${tag}`,
            timestamp: '1770714000',
            rcpt_to: email.toLowerCase(),
            rcpt_meta: { candor_message_id: messageId },
          },
        },
      },
    ],
  })
  json(await t.request({ method: 'GET', url: `/candidacies/${candidacyIds[0]}`, as: first!.recruiter }), 200)
  return { email, name, phone, candidacyIds }
}

/** An erasure request registered and verified by the DPO: ready to be completed. */
export async function verifiedErasure(t: TestApp, dpo: TestUser, person: Someone): Promise<string> {
  const registered = json<{ id: string }>(
    await t.request({
      method: 'POST',
      url: '/requests',
      as: dpo,
      payload: { type: 'erasure', email: person.email, receivedAt: '2026-02-10T08:00:00Z', channel: 'email' },
    }),
    201,
  )
  json(
    await t.request({
      method: 'POST',
      url: `/requests/${registered.id}/verify`,
      as: dpo,
      payload: { method: 'replied from the address on file' },
    }),
    200,
  )
  return registered.id
}

/** Waits for the erasure to stop at its manual tasks, then confirms them all as the DPO. */
export async function confirmTasksWhenWaiting(t: TestApp, dpo: TestUser, requestId: string): Promise<void> {
  const waiting = await vi.waitFor(
    async () => {
      const current = json<ErasureRequest>(
        await t.request({ method: 'GET', url: `/requests/${requestId}`, as: dpo }),
        200,
      )
      expect(current.currentStep).toBe('tasks')
      return current
    },
    { timeout: 15_000, interval: 50 },
  )
  expect(waiting.status).toBe('in_progress')
  expect(waiting.tasks.length).toBeGreaterThan(0)
  for (const task of waiting.tasks) {
    json(
      await t.request({ method: 'POST', url: `/requests/${requestId}/tasks/${task.id}/confirm`, as: dpo }),
      200,
    )
  }
}

const count = async (t: TestApp, query: ReturnType<typeof sql>) =>
  (await queryRows<{ n: number }>(t.app.db, query))[0]!.n

/** How many `erased` events each candidacy's ledger holds, in candidacy order. */
export async function erasedEvents(t: TestApp, person: Someone): Promise<number[]> {
  const counts: number[] = []
  for (const id of person.candidacyIds)
    counts.push(
      await count(
        t,
        sql`select count(*)::int as n from ledger_events where candidacy_id = ${id} and type = 'erased'`,
      ),
    )
  return counts
}

/** The personal data still held about the person, counted per table (all zero once erased). */
export async function heldRows(t: TestApp, person: Someone): Promise<Record<string, number>> {
  const ids = sql.join(
    person.candidacyIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  )
  const address = normaliseEmail(person.email)
  return {
    people: await count(t, sql`select count(*)::int as n from people where full_name = ${person.name}`),
    person_emails: await count(
      t,
      sql`select count(*)::int as n from person_emails where normalized = ${address}`,
    ),
    facts: await count(t, sql`select count(*)::int as n from facts where candidacy_id in (${ids})`),
    link_tokens: await count(
      t,
      sql`select count(*)::int as n from link_tokens where candidacy_id in (${ids})`,
    ),
    messages: await count(t, sql`select count(*)::int as n from messages where candidacy_id in (${ids})`),
    tracking_events: await count(
      t,
      sql`select count(*)::int as n from tracking_events where candidacy_id in (${ids})
            or message_id in (select id from messages where candidacy_id in (${ids}))`,
    ),
    candidacies_with_person: await count(
      t,
      sql`select count(*)::int as n from candidacies where id in (${ids}) and person_id is not null`,
    ),
  }
}

/**
 * What an erasure leaves behind, without ids, values or times: two erasures of people with the
 * same kind of data must leave equal end states, however often they were interrupted.
 */
export async function erasureEndState(t: TestApp, dpo: TestUser, person: Someone, requestId: string) {
  const request = json<ErasureRequest>(
    await t.request({ method: 'GET', url: `/requests/${requestId}`, as: dpo }),
    200,
  )
  const candidacies = []
  for (const id of person.candidacyIds) {
    const events = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${id} order by seq`,
    )
    const [row] = await queryRows<Record<string, unknown>>(
      t.app.db,
      sql`select stage, person_id, source_url from candidacies where id = ${id}`,
    )
    candidacies.push({ ledger: events.map((event) => event.type), ...row })
  }
  const mail = await queryRows<{ template: string; status: string; to_address: string | null }>(
    t.app.db,
    sql`select template, status, to_address from messages where subject_request_id = ${requestId} order by queued_at, template`,
  )
  return {
    status: request.status,
    currentStep: request.currentStep,
    contactEmail: request.contactEmail,
    steps: request.transitions.map((step: { status: string; step?: string }) => step.step ?? step.status),
    removed: request.result.removed,
    found: request.result.check.found,
    columnsChecked: request.result.check.columns,
    tasks: request.tasks.map((task: { confirmedBy: string | null }) => task.confirmedBy !== null),
    candidacies,
    mail,
    held: await heldRows(t, person),
    suppressed: await isSuppressed(t.app.db, t.config.SERVER_SECRET, [normaliseEmail(person.email)]),
  }
}

/** Everything the "done when" asks of an erasure, checked independently of the service. */
export async function expectErased(t: TestApp, vacancy: SeededVacancy, person: Someone, requestId: string) {
  const request = json<ErasureRequest>(
    await t.request({ method: 'GET', url: `/requests/${requestId}`, as: vacancy.dpo }),
    200,
  )
  expect(request).toMatchObject({ status: 'completed', currentStep: 'done', contactEmail: null })
  expect(request.result.check).toMatchObject({ found: [] })
  expect(request.result.check.columns).toBeGreaterThan(20)
  // The answer mail is sent, then it too forgets the address.
  await allMailSent(t)
  const traces = await findTraces(t.databaseUrl, [
    person.email,
    person.email.toLowerCase(),
    person.name,
    person.phone,
    '999999990',
  ])
  expect(traces).toEqual([])
  // Exactly one `erased` per candidacy: an interrupted run left none behind, the run that finished one.
  expect(await erasedEvents(t, person)).toEqual(person.candidacyIds.map(() => 1))
  for (const candidacyId of person.candidacyIds) {
    const events = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${candidacyId} order by seq`,
    )
    expect(events.filter((event) => event.type === 'erasure_requested')).toHaveLength(1)
    expect(events.at(-1)?.type).toBe('erased')
    const view = json<{ stage: string; person: null }>(
      await t.request({ method: 'GET', url: `/candidacies/${candidacyId}`, as: vacancy.dpo }),
      200,
    )
    expect(view).toMatchObject({ stage: 'erased', person: null })
  }
  const verification = json<{ valid: boolean; breaks: unknown[] }>(
    await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
    200,
  )
  expect(verification).toMatchObject({ valid: true, breaks: [] })
  const again = await t.request({
    method: 'POST',
    url: `/vacancies/${vacancy.id}/candidacies`,
    as: vacancy.recruiter,
    payload: sourcingPayload({ email: person.email }),
  })
  expect(again.json()).toMatchObject({ status: 409, code: 'sourcing.suppressed' })
}
