import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { queryRows } from '../../../src/db/client'
import {
  scheduleArt14Notices,
  scheduleConsentReminders,
} from '../../../src/modules/outreach/schedulers.service'
import { startTestApp, type TestApp } from '../../helpers/app'
import {
  answerConsent,
  json,
  requestConsent,
  type SeededVacancy,
  seedOpenVacancy,
  sourceCandidate,
  sourcingPayload,
} from '../../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  // npm start's shape: API and workers in one process, mail captured for /dev/mail.
  t = await startTestApp({ env: { RUN_WORKERS: 'true', MAIL_TRANSPORT: 'capture' } })
  t.clock.set('2026-01-05T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Bakfiets Collectief' })
})
afterAll(() => t.close())

const sourced = (collectedAt: string) =>
  sourceCandidate<{ id: string; person: { emails: Array<{ address: string }> }; notice: { dueAt: string } }>(
    t,
    vacancy,
    { collectedAt },
  )

const statusOf = async (candidacyId: string) =>
  (
    await queryRows<{ notice_status: string; notice_sent_at: Date | null }>(
      t.app.db,
      sql`select notice_status, notice_sent_at from candidacies where id = ${candidacyId}`,
    )
  )[0]!

describe('the Art. 14 notice scheduler', () => {
  it('sends the notice to an uncontacted legitimate-interest candidate before the deadline, once, and the ledger records it', async () => {
    // Obtained 2 January: due Monday 2 February 2026.
    const early = await sourced('2026-01-02T10:00:00Z')
    const later = await sourced('2026-01-04T10:00:00Z')
    expect(early.notice.dueAt).toBe('2026-02-02T22:59:59.999Z')

    const notices = json<Array<{ candidacyId: string; overdue: boolean }>>(
      await t.request({ method: 'GET', url: '/dpo/notices?dueBefore=2026-02-05T00:00:00Z', as: vacancy.dpo }),
      200,
    )
    expect(notices.map((notice) => notice.candidacyId)).toEqual([early.id, later.id])

    expect(await scheduleArt14Notices(t.app.services, 5)).toBe(0)
    // Monday 26 January is five working days before 2 February.
    t.clock.set('2026-01-26T08:00:00Z')
    expect(await scheduleArt14Notices(t.app.services, 5)).toBe(1)
    expect(await scheduleArt14Notices(t.app.services, 5)).toBe(0)
    await expect
      .poll(async () => (await statusOf(early.id)).notice_status, { timeout: 15_000, interval: 50 })
      .toBe('sent')
    expect((await statusOf(later.id)).notice_status).toBe('pending')

    const events = await queryRows<{ type: string; evidence: Record<string, string> }>(
      t.app.db,
      sql`select type, evidence from ledger_events where candidacy_id = ${early.id} order by seq`,
    )
    expect(events.map((event) => event.type)).toEqual(['basis_asserted', 'notice_sent'])
    expect(events[1]!.evidence.template).toBe('art14_notice')

    const mailPage = await t.request({ method: 'GET', url: '/dev/mail' })
    expect(mailPage.statusCode).toBe(200)
    expect(mailPage.body).toContain('Bakfiets Collectief')
    expect(mailPage.body).toContain(early.person.emails[0]!.address)
    expect(
      t.app.mailer.captured().filter((mail) => mail.to === early.person.emails[0]!.address),
    ).toHaveLength(1)

    const stillDue = json<Array<{ candidacyId: string; overdue: boolean }>>(
      await t.request({ method: 'GET', url: '/dpo/notices?dueBefore=2026-03-01T00:00:00Z', as: vacancy.dpo }),
      200,
    )
    expect(stillDue.map((notice) => notice.candidacyId)).not.toContain(early.id)
    t.clock.set('2026-02-20T08:00:00Z')
    const overdue = json<Array<{ candidacyId: string; overdue: boolean }>>(
      await t.request({ method: 'GET', url: '/dpo/notices', as: vacancy.dpo }),
      200,
    )
    expect(overdue.find((notice) => notice.candidacyId === later.id)?.overdue).toBe(true)
  })
})

describe('notices answered by consent', () => {
  it('a candidate who answered a consent request through its link was told: no notice is owed or sent', async () => {
    const consentVacancy = await seedOpenVacancy(t, {
      legalBasis: 'consent',
      clientName: 'Bakfiets Collectief',
    })
    const candidacy = json<{ id: string }>(
      await t.request({
        method: 'POST',
        url: `/vacancies/${consentVacancy.id}/candidacies`,
        as: consentVacancy.recruiter,
        payload: { ...sourcingPayload({ collectedAt: '2026-01-02T10:00:00Z' }), facts: [] },
      }),
      201,
    )
    const notices = async () =>
      json<Array<{ candidacyId: string }>>(
        await t.request({
          method: 'GET',
          url: '/dpo/notices?dueBefore=2026-03-01T00:00:00Z',
          as: vacancy.dpo,
        }),
        200,
      ).map((notice) => notice.candidacyId)
    expect(await notices()).toContain(candidacy.id)
    // The links made through the API (handed over by the recruiter, not mailed by us).
    const links = await requestConsent(t, candidacy.id, consentVacancy.recruiter)
    await answerConsent(t, links.consentUrl, 'consent')
    const status = await statusOf(candidacy.id)
    expect(status.notice_status).toBe('sent')
    expect(new Date(status.notice_sent_at!).toISOString()).toBe(t.clock.now().toISOString())
    expect(await notices()).not.toContain(candidacy.id)
  })
})

describe('consent reminders', () => {
  it('remind 7 and 2 days before an unanswered link expires, and never after an answer', async () => {
    t.clock.set('2026-03-02T09:00:00Z')
    const unanswered = await sourced('2026-03-01T10:00:00Z')
    const answered = await sourced('2026-03-01T10:00:00Z')
    await requestConsent(t, unanswered.id, vacancy.recruiter)
    const links = await requestConsent(t, answered.id, vacancy.recruiter)
    const remindersTo = (candidacyId: string) =>
      queryRows<{ status: string }>(
        t.app.db,
        sql`select status from messages where candidacy_id = ${candidacyId} and template = 'consent_reminder'`,
      )

    expect(await scheduleConsentReminders(t.app.services)).toBe(0)
    t.clock.advance({ days: 23, hours: 12 }) // 6.5 days left
    expect(await scheduleConsentReminders(t.app.services)).toBe(2)
    expect(await scheduleConsentReminders(t.app.services)).toBe(0)
    await vi.waitFor(
      async () => {
        expect((await remindersTo(unanswered.id)).every((row) => row.status === 'sent')).toBe(true)
        expect((await remindersTo(answered.id)).every((row) => row.status === 'sent')).toBe(true)
      },
      { timeout: 15_000, interval: 50 },
    )

    await answerConsent(t, links.consentUrl)
    t.clock.advance({ days: 5 }) // 1.5 days left
    expect(await scheduleConsentReminders(t.app.services)).toBe(1)
    await vi.waitFor(
      async () => {
        const reminders = await remindersTo(unanswered.id)
        expect(reminders).toHaveLength(2)
        expect(reminders.every((row) => row.status === 'sent')).toBe(true)
      },
      { timeout: 15_000, interval: 50 },
    )
    expect((await remindersTo(answered.id)).length).toBe(1)
    const sent = t.app.mailer.captured().filter((mail) => mail.to === unanswered.person.emails[0]!.address)
    expect(sent).toHaveLength(2)
    expect(sent[0]!.text).toMatch(/\/c\/[A-Za-z0-9_-]{43}/)
  })
})
