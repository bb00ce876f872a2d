import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { enqueueOutreach } from '../../../src/modules/outreach/outreach.service'
import { erasureStep } from '../../../src/modules/requests/requests.service'
import { eventually, startTestApp, type TestApp } from '../../helpers/app'
import {
  answerConsent,
  formTokenOf,
  json,
  requestConsent,
  type SeededVacancy,
  seedOpenVacancy,
  sourcingPayload,
} from '../../helpers/seed'
import { findTraces } from '../../helpers/traces'

let t: TestApp
let vacancy: SeededVacancy
let second: SeededVacancy

beforeAll(async () => {
  // As `npm start` runs: API and workers in one process; mail captured.
  t = await startTestApp({
    env: { RUN_WORKERS: 'true', MAIL_TRANSPORT: 'capture', SPARKPOST_WEBHOOK_AUTH: 'Bearer hook' },
  })
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Erasure Test B.V.' })
  second = await seedOpenVacancy(t, { clientName: 'Second Erasure B.V.' })
})
afterAll(() => t.close())

interface Someone {
  email: string
  name: string
  phone: string
  candidacyIds: string[]
}

/** A person with two candidacies, identifiers, consent, mail sent and a provider event: data everywhere. */
async function someone(tag: string): Promise<Someone> {
  const email = `Erase.${tag}@Example.org`
  const name = `Eraseme ${tag} Persona`
  const phone = `+31 6 5555 ${tag.padStart(4, '0').slice(-4)}`
  const candidacyIds: string[] = []
  for (const target of [vacancy, second]) {
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
  const links = await requestConsent(t, candidacyIds[0]!, vacancy.recruiter)
  await answerConsent(t, links.consentUrl)
  const { messageId } = await enqueueOutreach(
    t.app.services,
    vacancy.recruiter.id,
    candidacyIds[1]!,
    'art14_notice',
  )
  await eventually(async () => {
    const [row] = await queryRows<{ status: string }>(
      t.app.db,
      sql`select status from messages where id = ${messageId}`,
    )
    return row?.status === 'sent'
  })
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
  json(await t.request({ method: 'GET', url: `/candidacies/${candidacyIds[0]}`, as: vacancy.recruiter }), 200)
  return { email, name, phone, candidacyIds }
}

const selfServiceLink = (address: string) => {
  const mail = t.app.mailer
    .captured()
    .find(
      (item) => item.to.toLowerCase() === address.toLowerCase() && /\/r\/[A-Za-z0-9_-]{43}/.test(item.text),
    )
  return mail!.text.match(/http:\/\/candor\.test(\/r\/[A-Za-z0-9_-]{43})/)![1]!
}

async function expectErased(person: Someone, requestId: string) {
  const request = json<Record<string, any>>(
    await t.request({ method: 'GET', url: `/requests/${requestId}`, as: vacancy.dpo }),
    200,
  )
  expect(request).toMatchObject({ status: 'completed', currentStep: 'done', contactEmail: null })
  expect(request.result.check).toMatchObject({ found: [] })
  expect(request.result.check.columns).toBeGreaterThan(20)
  // The answer mail is sent, then it too forgets the address.
  await eventually(
    async () =>
      (
        await queryRows<{ n: number }>(
          t.app.db,
          sql`select count(*)::int as n from messages where status in ('queued', 'sending')`,
        )
      )[0]!.n === 0,
  )
  const traces = await findTraces(t.databaseUrl, [
    person.email,
    person.email.toLowerCase(),
    person.name,
    person.phone,
    '999999990',
  ])
  expect(traces).toEqual([])
  for (const candidacyId of person.candidacyIds) {
    const events = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${candidacyId} order by seq`,
    )
    expect(events.map((event) => event.type)).toContain('erased')
    expect(events.map((event) => event.type)).toContain('erasure_requested')
    const view = json<{ stage: string; person: null }>(
      await t.request({ method: 'GET', url: `/candidacies/${candidacyId}`, as: vacancy.dpo }),
      200,
    )
    expect(view).toMatchObject({ stage: 'erased', person: null })
  }
  const verification = json<{ valid: boolean }>(
    await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
    200,
  )
  expect(verification.valid).toBe(true)
  const again = await t.request({
    method: 'POST',
    url: `/vacancies/${vacancy.id}/candidacies`,
    as: vacancy.recruiter,
    payload: sourcingPayload({ email: person.email }),
  })
  expect(again.json()).toMatchObject({ status: 409, code: 'sourcing.suppressed' })
}

describe('erasure (Art. 17)', () => {
  it('a self-service erasure completes after its manual task is confirmed and leaves no trace', async () => {
    const person = await someone('1001')
    const path = selfServiceLink(person.email)
    const page = await t.request({ method: 'GET', url: path })
    expect(page.statusCode).toBe(200)
    const answer = await t.request({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `type=erasure&form=${encodeURIComponent(formTokenOf(page.body))}`,
    })
    expect(answer.statusCode).toBe(200)
    expect(answer.body).toContain('2026')

    const [row] = await queryRows<{ id: string; status: string; verification_method: string; due_at: Date }>(
      t.app.db,
      sql`select id, status, verification_method, due_at from subject_requests where type = 'erasure' order by created_at desc limit 1`,
    )
    expect(row).toMatchObject({ status: 'verified', verification_method: 'self_service_link' })
    // Received 10 February 2026 → due 10 March 2026 (a Tuesday), end of day in Amsterdam.
    expect(new Date(row!.due_at).toISOString()).toBe('2026-03-10T22:59:59.999Z')
    await eventually(async () =>
      t.app.mailer.captured().some((mail) => mail.to === person.email && /10 March 2026/.test(mail.text)),
    )

    const started = json<Record<string, any>>(
      await t.request({ method: 'POST', url: `/requests/${row!.id}/complete`, as: vacancy.dpo }),
      200,
    )
    expect(started.status).toBe('in_progress')
    const waiting = await eventually(async () => {
      const current = json<Record<string, any>>(
        await t.request({ method: 'GET', url: `/requests/${row!.id}`, as: vacancy.dpo }),
        200,
      )
      return current.currentStep === 'tasks' && current
    })
    expect(waiting.tasks).toHaveLength(1)
    expect(waiting.status).toBe('in_progress')
    const confirmed = json<Record<string, any>>(
      await t.request({
        method: 'POST',
        url: `/requests/${row!.id}/tasks/${waiting.tasks[0].id}/confirm`,
        as: vacancy.dpo,
      }),
      200,
    )
    expect(confirmed.tasks[0]).toMatchObject({ confirmedBy: vacancy.dpo.id })
    await expectErased(person, row!.id)
  })

  it('an erasure stopped half-way (worker killed) finishes when run again, with the same end state', async () => {
    const person = await someone('2002')
    const registered = json<{ id: string }>(
      await t.request({
        method: 'POST',
        url: '/requests',
        as: vacancy.dpo,
        payload: {
          type: 'erasure',
          email: person.email,
          receivedAt: '2026-02-10T08:00:00Z',
          channel: 'email',
        },
      }),
      201,
    )
    const verified = await t.request({
      method: 'POST',
      url: `/requests/${registered.id}/verify`,
      as: vacancy.dpo,
      payload: { method: 'replied from the address on file' },
    })
    expect(verified.statusCode).toBe(200)
    // Carry the first steps out by hand, as a worker would before it was killed.
    await t.app.db.execute(
      sql`update subject_requests set status = 'in_progress', current_step = 'start' where id = ${registered.id}`,
    )
    expect(await erasureStep(t.app.services, registered.id)).toBe('cancel_mail')
    expect(await erasureStep(t.app.services, registered.id)).toBe('provider')
    // "Killed" here: nothing else ran. Another worker picks the request up.
    await t.app.queues.maintenance.add(
      'erasure',
      { requestId: registered.id },
      { jobId: `erasure-resume-${registered.id}` },
    )
    const waiting = await eventually(async () => {
      const current = json<Record<string, any>>(
        await t.request({ method: 'GET', url: `/requests/${registered.id}`, as: vacancy.dpo }),
        200,
      )
      return current.currentStep === 'tasks' && current
    })
    json(
      await t.request({
        method: 'POST',
        url: `/requests/${registered.id}/tasks/${waiting.tasks[0].id}/confirm`,
        as: vacancy.dpo,
      }),
      200,
    )
    await expectErased(person, registered.id)
    // Running it again changes nothing.
    expect(await erasureStep(t.app.services, registered.id)).toBe('done')
  })
})
