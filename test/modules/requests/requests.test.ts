import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { enqueueOutreach } from '../../../src/modules/outreach/outreach.service'
import { remindDpos } from '../../../src/modules/requests/requests.jobs'
import { eventually, startTestApp, type TestApp } from '../../helpers/app'
import {
  answerConsent,
  json,
  requestConsent,
  type SeededVacancy,
  seedOpenVacancy,
  sourcingPayload,
} from '../../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy
let consentVacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp({
    env: { RUN_WORKERS: 'true', MAIL_TRANSPORT: 'capture', SPARKPOST_WEBHOOK_AUTH: 'Bearer hook' },
  })
  t.clock.set('2026-01-31T10:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Access Client A' })
  consentVacancy = await seedOpenVacancy(t, { clientName: 'Access Client B', legalBasis: 'consent' })
})
afterAll(() => t.close())

const register = (payload: Record<string, unknown>) =>
  t.request({ method: 'POST', url: '/requests', as: vacancy.dpo, payload })
const act = (id: string, action: string, payload?: Record<string, unknown>) =>
  t.request({
    method: 'POST',
    url: `/requests/${id}/${action}`,
    as: vacancy.dpo,
    ...(payload ? { payload } : {}),
  })
const mailsTo = (address: string) =>
  t.app.mailer.captured().filter((mail) => mail.to.toLowerCase() === address.toLowerCase())

describe('request deadlines', () => {
  it('received 31 January 2026 is due Monday 2 March (28 February is a Saturday); extension only within the first month', async () => {
    const request = json<Record<string, any>>(
      await register({
        type: 'access',
        email: 'nobody.known@example.org',
        receivedAt: '2026-01-31T09:00:00Z',
        channel: 'letter',
        language: 'en',
      }),
      201,
    )
    expect(request).toMatchObject({
      status: 'received',
      dueAt: '2026-03-02T22:59:59.999Z',
      effectiveDueAt: '2026-03-02T22:59:59.999Z',
      ownerId: vacancy.dpo.id,
    })
    const extended = json<Record<string, any>>(
      await act(request.id, 'extend', { reason: 'We received many requests this month.' }),
      200,
    )
    // Three months from 31 January: 30 April 2026, a Thursday.
    expect(extended).toMatchObject({
      extendedDueAt: '2026-04-30T21:59:59.999Z',
      effectiveDueAt: '2026-04-30T21:59:59.999Z',
    })
    expect((await act(request.id, 'extend', { reason: 'Once more, please.' })).json()).toMatchObject({
      code: 'request.already_extended',
    })
    await eventually(async () =>
      mailsTo('nobody.known@example.org').some((mail) => mail.text.includes('30 April 2026')),
    )

    const late = json<{ id: string }>(
      await register({
        type: 'access',
        email: 'late@example.org',
        receivedAt: '2026-01-31T09:00:00Z',
        channel: 'email',
      }),
      201,
    )
    t.clock.set('2026-03-03T08:00:00Z')
    try {
      expect((await act(late.id, 'extend', { reason: 'Too late to extend now.' })).json()).toMatchObject({
        status: 409,
        code: 'request.extension_too_late',
      })
      const deadlines = json<Array<{ id: string; overdue: boolean; extended: boolean }>>(
        await t.request({ method: 'GET', url: '/dpo/deadlines', as: vacancy.dpo }),
        200,
      )
      expect(deadlines.find((row) => row.id === late.id)).toMatchObject({ overdue: true, extended: false })
      expect(deadlines.find((row) => row.id === request.id)).toMatchObject({ overdue: false, extended: true })
    } finally {
      t.clock.set('2026-01-31T10:00:00Z')
    }
  })

  it('reminds every DPO seven and two working days before a deadline, once each', async () => {
    const request = json<{ id: string }>(
      await register({
        type: 'rectification',
        email: 'remind.me@example.org',
        receivedAt: '2026-01-31T09:00:00Z',
        channel: 'phone',
      }),
      201,
    )
    const dpoMail = () => mailsTo(vacancy.dpo.email).filter((mail) => mail.text.includes(request.id))
    try {
      t.clock.set('2026-02-19T06:00:00Z') // Thursday 19 February is 7 working days before Monday 2 March.
      expect(await remindDpos(t.app)).toBeGreaterThan(0)
      expect(await remindDpos(t.app)).toBe(0)
      t.clock.set('2026-02-26T06:00:00Z') // Thursday 26 February is 2 working days before.
      expect(await remindDpos(t.app)).toBeGreaterThan(0)
      await eventually(async () => dpoMail().length === 2)
      expect(dpoMail()[0]!.subject).toMatch(/2 working days/)
    } finally {
      t.clock.set('2026-01-31T10:00:00Z')
    }
  })
})

describe('answering requests', () => {
  it('a request about an address we hold nothing on is registered, creates no person, and is answered: no data', async () => {
    const before = await queryRows<{ n: number }>(t.app.db, sql`select count(*)::int as n from people`)
    const request = json<Record<string, any>>(
      await register({
        type: 'access',
        email: 'stranger@example.org',
        receivedAt: '2026-01-30T09:00:00Z',
        channel: 'email',
        language: 'en',
      }),
      201,
    )
    expect(request.personId).toBeNull()
    expect((await act(request.id, 'complete')).json()).toMatchObject({
      status: 409,
      code: 'request.not_verified',
    })
    json(await act(request.id, 'verify', { method: 'answered from that address' }), 200)
    const done = json<Record<string, any>>(await act(request.id, 'complete'), 200)
    expect(done).toMatchObject({ status: 'completed', contactEmail: null })
    expect((await queryRows<{ n: number }>(t.app.db, sql`select count(*)::int as n from people`))[0]!.n).toBe(
      before[0]!.n,
    )
    await eventually(async () =>
      mailsTo('stranger@example.org').some((mail) =>
        mail.text.includes('We hold no personal data about you'),
      ),
    )
    const download = mailsTo('stranger@example.org')
      .find((mail) => /\/d\//.test(mail.text))!
      .text.match(/http:\/\/candor\.test(\/d\/[A-Za-z0-9_-]{43})/)![1]!
    const answer = await t.request({ method: 'GET', url: `${download}?format=json` })
    expect(JSON.parse(answer.body)).toMatchObject({ holdsData: false, candidacies: [] })
  })

  it('the access package holds every category for a person with two candidacies, mail and provider events', async () => {
    const email = 'Complete.Picture@Example.org'
    const ids: string[] = []
    for (const target of [vacancy, consentVacancy]) {
      const payload = sourcingPayload({
        email,
        fullName: 'Complete Picture',
        person: { phone: '+31 20 123 4567', headline: 'Engineer' },
        identifiers: [{ kind: 'passport', value: 'NP1234567' }],
      })
      if (target === consentVacancy) {
        payload.facts = []
        delete (payload.person as Record<string, unknown>).headline
      }
      ids.push(
        json<{ id: string }>(
          await t.request({
            method: 'POST',
            url: `/vacancies/${target.id}/candidacies`,
            as: target.recruiter,
            payload,
          }),
          201,
        ).id,
      )
    }
    await answerConsent(t, (await requestConsent(t, ids[1]!, consentVacancy.recruiter)).consentUrl)
    const { messageId } = await enqueueOutreach(t.app.services, vacancy.recruiter.id, ids[0]!, 'art14_notice')
    await eventually(
      async () =>
        (
          await queryRows<{ status: string }>(
            t.app.db,
            sql`select status from messages where id = ${messageId}`,
          )
        )[0]?.status === 'sent',
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
              event_id: 'access-delivery-1',
              timestamp: '1769850000',
              rcpt_to: email.toLowerCase(),
              ip_address: '192.0.2.7',
              rcpt_meta: { candor_message_id: messageId },
            },
          },
        },
      ],
    })
    json(await t.request({ method: 'GET', url: `/candidacies/${ids[0]}`, as: vacancy.recruiter }), 200)

    const request = json<{ id: string }>(
      await register({
        type: 'access',
        email,
        receivedAt: '2026-01-31T09:00:00Z',
        channel: 'email',
        language: 'en',
      }),
      201,
    )
    json(await act(request.id, 'verify', { method: 'replied from the address on file' }), 200)
    const done = json<Record<string, any>>(await act(request.id, 'complete'), 200)
    expect(done.result.package).toMatchObject({ candidacies: 2, messages: 1, trackingEvents: 1 })
    const mail = await eventually(async () =>
      mailsTo(email).find((item) => /\/d\/[A-Za-z0-9_-]{43}/.test(item.text)),
    )
    const download = mail.text.match(/http:\/\/candor\.test(\/d\/[A-Za-z0-9_-]{43})/)![1]!
    const json_ = JSON.parse((await t.request({ method: 'GET', url: `${download}?format=json` })).body)
    expect(json_.person).toMatchObject({
      fullName: 'Complete Picture',
      phone: '+31 20 123 4567',
      identifiers: [{ kind: 'passport', value: 'NP1234567' }],
    })
    expect(json_.person.emails[0].address).toBe(email)
    expect(json_.candidacies).toHaveLength(2)
    const [first, secondCandidacy] = json_.candidacies
    expect(first).toMatchObject({
      vacancy: {
        title: 'Senior backend engineer',
        purpose: expect.stringContaining('Recruiting'),
        legalBasis: 'legitimate_interest',
      },
      client: { name: 'Access Client A' },
      source: { type: 'linkedin', url: expect.stringContaining('linkedin.com') },
      retention: { daysAfterVacancyCloses: 28 },
    })
    expect(first.recipients.map((recipient: { role: string }) => recipient.role)).toEqual([
      'client (controller)',
      'processor',
    ])
    expect(first.facts[0]).toMatchObject({ kind: 'skill', source: { type: 'github' } })
    // The package shows the ledger as it was handed over; the hand-over itself is recorded right after.
    expect(first.ledger.map((event: { type: string }) => event.type)).toEqual([
      'basis_asserted',
      'notice_sent',
    ])
    expect(first.messages[0]).toMatchObject({
      template: 'art14_notice',
      status: 'delivered',
      text: expect.stringContaining('Access Client A'),
    })
    expect(first.messages[0].providerEvents[0]).toMatchObject({
      type: 'delivery',
      details: { ip_address: '192.0.2.7' },
    })
    expect(secondCandidacy.ledger.map((event: { type: string }) => event.type)).toEqual([
      'consent_requested',
      'consent_given',
    ])
    for (const id of ids) {
      const [exported] = await queryRows<{ evidence: Record<string, string> }>(
        t.app.db,
        sql`select evidence from ledger_events where candidacy_id = ${id} and type = 'exported'`,
      )
      expect(exported!.evidence).toEqual({ request: request.id, format: 'access' })
    }
    expect(json_.accessLog.length).toBeGreaterThan(0)
    expect(json_.accessLog[0]).toMatchObject({
      action: 'read',
      route: 'GET /candidacies/:id',
      role: 'recruiter',
    })
    const html = (await t.request({ method: 'GET', url: download })).body
    for (const text of [
      'Complete Picture',
      'Access Client A',
      'Access Client B',
      'Senior backend engineer',
      'NP1234567',
      'LinkedIn',
      'consent_given',
      'delivery',
      'Who looked at your data',
    ]) {
      expect(html, text).toContain(text)
    }
    t.clock.advance({ days: 15 })
    try {
      const expired = await t.request({ method: 'GET', url: download })
      expect(expired.statusCode).toBe(404)
    } finally {
      t.clock.advance({ days: -15 })
    }
  })

  it('restriction freezes the person until lifted; an objection ends legitimate-interest processing', async () => {
    const email = 'frozen.one@example.org'
    const candidacy = json<{ id: string; person: { id: string } }>(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/candidacies`,
        as: vacancy.recruiter,
        payload: sourcingPayload({ email }),
      }),
      201,
    )
    const restriction = json<{ id: string }>(
      await register({ type: 'restriction', email, receivedAt: '2026-01-31T09:00:00Z', channel: 'email' }),
      201,
    )
    json(await act(restriction.id, 'verify', { method: 'called back on the number on file' }), 200)
    json(await act(restriction.id, 'complete'), 200)
    const outreach = await t.request({
      method: 'POST',
      url: `/candidacies/${candidacy.id}/outreach`,
      as: vacancy.recruiter,
      payload: { template: 'art14_notice' },
    })
    expect(outreach.json()).toMatchObject({ status: 409, code: 'person.restricted' })
    const factChange = await t.request({
      method: 'POST',
      url: `/candidacies/${candidacy.id}/facts`,
      as: vacancy.recruiter,
      payload: {
        facts: [
          { kind: 'skill', value: 'Go', source: { type: 'github', collectedAt: '2026-01-02T10:00:00Z' } },
        ],
      },
    })
    expect(factChange.json()).toMatchObject({ code: 'person.restricted' })
    expect(
      (
        await t.request({
          method: 'POST',
          url: `/people/${candidacy.person.id}/restriction/lift`,
          as: vacancy.dpo,
        })
      ).statusCode,
    ).toBe(204)
    expect(
      (
        await t.request({
          method: 'POST',
          url: `/candidacies/${candidacy.id}/outreach`,
          as: vacancy.recruiter,
          payload: { template: 'art14_notice' },
        })
      ).statusCode,
    ).toBe(202)
    const events = await queryRows<{ type: string }>(
      t.app.db,
      sql`select type from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
    )
    expect(events.map((event) => event.type)).toEqual(['basis_asserted', 'restricted', 'restriction_lifted'])

    const objection = json<{ id: string }>(
      await register({
        type: 'objection',
        personId: candidacy.person.id,
        receivedAt: '2026-01-31T09:00:00Z',
        channel: 'email',
      }),
      201,
    )
    json(await act(objection.id, 'verify', { method: 'replied from the address on file' }), 200)
    json(await act(objection.id, 'complete'), 200)
    const view = json<{ stage: string }>(
      await t.request({ method: 'GET', url: `/candidacies/${candidacy.id}`, as: vacancy.recruiter }),
      200,
    )
    expect(view.stage).toBe('objected')
    const [last] = await queryRows<{ type: string; legal_basis: string }>(
      t.app.db,
      sql`select type, legal_basis from ledger_events where candidacy_id = ${candidacy.id} order by seq desc limit 1`,
    )
    expect(last).toEqual({ type: 'objection', legal_basis: 'legitimate_interest' })
    const again = await t.request({
      method: 'POST',
      url: `/candidacies/${candidacy.id}/outreach`,
      as: vacancy.recruiter,
      payload: { template: 'art14_notice' },
    })
    expect(again.statusCode).toBe(409)
  })

  it('moves received → verified → completed | rejected, timestamping each step, with an owner who is a DPO or admin', async () => {
    const request = json<{ id: string }>(
      await register({
        type: 'erasure',
        email: 'refused@example.org',
        receivedAt: '2026-01-31T09:00:00Z',
        channel: 'email',
      }),
      201,
    )
    const recruiterOwner = await t.request({
      method: 'POST',
      url: `/requests/${request.id}/assign`,
      as: vacancy.dpo,
      payload: { userId: vacancy.recruiter.id },
    })
    expect(recruiterOwner.json()).toMatchObject({ status: 409, code: 'request.owner_not_allowed' })
    const admin = await t.user('admin')
    json(await act(request.id, 'assign', { userId: admin.id }), 200)
    const rejected = json<Record<string, any>>(
      await act(request.id, 'reject', { reason: 'Art. 17(3)(e): the data is needed for a legal claim.' }),
      200,
    )
    expect(rejected).toMatchObject({
      status: 'rejected',
      ownerId: admin.id,
      rejectionReason: expect.stringContaining('17(3)'),
    })
    expect(
      rejected.transitions.map((step: { status: string; step?: string }) => step.step ?? step.status),
    ).toEqual(['received', `assigned:${admin.id}`, 'rejected'])
    expect((await act(request.id, 'complete')).json()).toMatchObject({ status: 409, code: 'request.closed' })
    const recruiterRegisters = await t.request({
      method: 'POST',
      url: '/requests',
      as: vacancy.recruiter,
      payload: {
        type: 'access',
        email: 'by.mail@example.org',
        receivedAt: '2026-01-31T09:00:00Z',
        channel: 'email',
      },
    })
    expect(recruiterRegisters.json()).toMatchObject({ ownerId: expect.any(String) })
    expect(recruiterRegisters.json().ownerId).not.toBe(vacancy.recruiter.id)
  })
})
