import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { enqueueOutreach } from '../../../src/modules/outreach/outreach.service'
import { remindDpos } from '../../../src/modules/requests/reminders.service'
import en from '../../../templates/pages/messages.en.json'
import nl from '../../../templates/pages/messages.nl.json'
import { startTestApp, type TestApp } from '../../helpers/app'
import {
  allMailSent,
  answerConsent,
  json,
  PURPOSE,
  type SeededVacancy,
  seedOpenVacancy,
  sourceCandidate,
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

/** The mail as stored (what the access package must show), oldest first. */
const storedMail = (where: ReturnType<typeof sql>) =>
  queryRows<{ id: string; template: string; subject: string; body_text: string; status: string }>(
    t.app.db,
    sql`select id, template, subject, body_text, status from messages where ${where} order by queued_at, id`,
  )

const register = (payload: Record<string, unknown>) =>
  t.request({ method: 'POST', url: '/requests', as: vacancy.dpo, payload })
const act = (id: string, action: string, payload?: Record<string, unknown>) =>
  t.request({
    method: 'POST',
    url: `/requests/${id}/${action}`,
    as: vacancy.dpo,
    ...(payload ? { payload } : {}),
  })
/** As the HTML templates escape text. */
const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  )
const mailsTo = (address: string) =>
  t.app.mailer.captured().filter((mail) => mail.to.toLowerCase() === address.toLowerCase())

describe('request deadlines', () => {
  it('received 31 January 2026 is due Monday 2 March (28 February is a Saturday); extension only within the first month', async () => {
    const request = json<{
      id: string
      status: string
      dueAt: string
      effectiveDueAt: string
      ownerId: string | null
    }>(
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
    const extended = json<{ extendedDueAt: string | null; effectiveDueAt: string }>(
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
    await expect
      .poll(() => mailsTo('nobody.known@example.org').some((mail) => mail.text.includes('30 April 2026')), {
        timeout: 15_000,
        interval: 50,
      })
      .toBe(true)

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
      expect(await remindDpos(t.app.services)).toBeGreaterThan(0)
      expect(await remindDpos(t.app.services)).toBe(0)
      t.clock.set('2026-02-26T06:00:00Z') // Thursday 26 February is 2 working days before.
      expect(await remindDpos(t.app.services)).toBeGreaterThan(0)
      await expect.poll(() => dpoMail().length, { timeout: 15_000, interval: 50 }).toBe(2)
      expect(dpoMail()[0]!.subject).toMatch(/2 working days/)
    } finally {
      t.clock.set('2026-01-31T10:00:00Z')
    }
  })
})

describe('answering requests', () => {
  it('a request about an address we hold nothing on is registered, creates no person, and is answered: no data', async () => {
    const before = await queryRows<{ n: number }>(t.app.db, sql`select count(*)::int as n from people`)
    const request = json<{ id: string; personId: string | null }>(
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
    const done = json<{ status: string; contactEmail: string | null }>(await act(request.id, 'complete'), 200)
    expect(done).toMatchObject({ status: 'completed', contactEmail: null })
    expect((await queryRows<{ n: number }>(t.app.db, sql`select count(*)::int as n from people`))[0]!.n).toBe(
      before[0]!.n,
    )
    await expect
      .poll(
        () =>
          mailsTo('stranger@example.org').some((mail) =>
            mail.text.includes('We hold no personal data about you'),
          ),
        { timeout: 15_000, interval: 50 },
      )
      .toBe(true)
    const download = mailsTo('stranger@example.org')
      .find((mail) => /\/d\//.test(mail.text))!
      .text.match(/http:\/\/candor\.test(\/d\/[A-Za-z0-9_-]{43})/)![1]!
    const answer = await t.request({ method: 'GET', url: `${download}?format=json` })
    expect(JSON.parse(answer.body)).toMatchObject({ holdsData: false, candidacies: [] })
  })

  it('the access package holds every category for a person with two candidacies, mails and provider events: as JSON, and as HTML in their language', async () => {
    const email = 'Complete.Picture@Example.org'
    // A second vacancy, consent-based, with its own title, purpose and retention.
    const dataPurpose =
      "Placing a data platform engineer with Access Client B; we keep your profile only while you consent & can say 'no'."
    const dataVacancy = json<{ id: string }>(
      await t.request({
        method: 'POST',
        url: '/vacancies',
        as: consentVacancy.recruiter,
        payload: {
          clientId: consentVacancy.clientId,
          title: 'Data platform engineer',
          purpose: dataPurpose,
          legalBasis: 'consent',
          language: 'en',
          retentionDays: 90,
        },
      }),
      201,
    )
    json(
      await t.request({
        method: 'PATCH',
        url: `/vacancies/${dataVacancy.id}`,
        as: consentVacancy.recruiter,
        payload: { status: 'open' },
      }),
      200,
    )
    const person = {
      fullName: 'Complete Picture',
      phone: '+31 20 123 4567',
      headline: 'Engineer <backend>',
      location: 'Utrecht',
      language: 'nl',
    }
    const first = json<{ id: string; person: { id: string } }>(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/candidacies`,
        as: vacancy.recruiter,
        payload: sourcingPayload({
          email,
          person,
          fullName: person.fullName,
          identifiers: [{ kind: 'passport', value: 'NP1234567' }],
          facts: [
            {
              kind: 'skill',
              value: 'TypeScript',
              source: {
                type: 'github',
                url: 'https://github.com/complete-picture',
                collectedAt: '2026-01-02T10:00:00Z',
              },
            },
            {
              kind: 'experience',
              value: 'Six years at "Fietsenfabriek Noord"',
              source: {
                type: 'linkedin',
                url: 'https://www.linkedin.com/in/complete-picture',
                collectedAt: '2026-01-03T11:00:00Z',
              },
            },
          ],
        }),
      }),
      201,
    )
    // A consent vacancy takes contact data only until consent.
    const second = json<{ id: string }>(
      await t.request({
        method: 'POST',
        url: `/vacancies/${dataVacancy.id}/candidacies`,
        as: consentVacancy.recruiter,
        payload: sourcingPayload({
          email,
          person: { phone: person.phone },
          fullName: person.fullName,
          facts: [],
        }),
      }),
      201,
    )
    const ids = [first.id, second.id]
    const personId = first.person.id

    // Two mails: the Art. 14 notice for the first, the consent request for the second (answered from the mail).
    const notice = await enqueueOutreach(t.app.services, vacancy.recruiter.id, first.id, 'art14_notice')
    const consentMail = await enqueueOutreach(
      t.app.services,
      consentVacancy.recruiter.id,
      second.id,
      'consent_request',
    )
    const consentLink = await vi.waitFor(
      () => {
        const link = mailsTo(email)
          .map((mail) => mail.text.match(/http:\/\/candor\.test\/c\/[A-Za-z0-9_-]{43}/)?.[0])
          .find(Boolean)
        expect(link).toBeDefined()
        return link!
      },
      { timeout: 15_000, interval: 50 },
    )
    expect((await answerConsent(t, consentLink)).statusCode).toBe(200)
    json(
      await t.request({
        method: 'POST',
        url: `/candidacies/${second.id}/facts`,
        as: consentVacancy.recruiter,
        payload: {
          facts: [
            {
              kind: 'education',
              value: 'MSc Computer Science, TU Delft',
              source: {
                type: 'stackoverflow',
                url: 'https://stackoverflow.com/users/42/complete-picture',
                collectedAt: '2026-01-04T12:00:00Z',
              },
            },
          ],
        },
      }),
      201,
    )
    // Two provider events on each mail.
    const providerEvent = (id: string, type: string, timestamp: number, messageId: string) => ({
      msys: {
        [type === 'delivery' ? 'message_event' : 'track_event']: {
          type,
          event_id: id,
          timestamp: String(timestamp),
          rcpt_to: email.toLowerCase(),
          ip_address: '192.0.2.7',
          rcpt_meta: { candor_message_id: messageId },
        },
      },
    })
    await vi.waitFor(
      async () => {
        const rows = await queryRows<{ status: string }>(
          t.app.db,
          sql`select status from messages where id in (${notice.messageId}, ${consentMail.messageId})`,
        )
        expect(rows.map((row) => row.status)).toEqual(['sent', 'sent'])
      },
      { timeout: 15_000, interval: 50 },
    )
    const hook = await t.request({
      method: 'POST',
      url: '/webhooks/sparkpost',
      headers: { authorization: 'Bearer hook', 'content-type': 'application/json' },
      payload: [
        providerEvent('access-1', 'delivery', 1769850000, notice.messageId),
        providerEvent('access-2', 'open', 1769850600, notice.messageId),
        providerEvent('access-3', 'delivery', 1769850060, consentMail.messageId),
        providerEvent('access-4', 'click', 1769851200, consentMail.messageId),
      ],
    })
    expect(hook.statusCode).toBe(200)
    // Who looked: each recruiter reads their candidacy.
    json(await t.request({ method: 'GET', url: `/candidacies/${first.id}`, as: vacancy.recruiter }), 200)
    json(
      await t.request({ method: 'GET', url: `/candidacies/${second.id}`, as: consentVacancy.recruiter }),
      200,
    )

    const request = json<{ id: string; language: string }>(
      await register({ type: 'access', email, receivedAt: '2026-01-31T09:00:00Z', channel: 'email' }),
      201,
    )
    expect(request.language).toBe('nl') // the person's language: the answer is written in it
    json(await act(request.id, 'verify', { method: 'replied from the address on file' }), 200)
    // Every mail so far has gone out (the request's acknowledgement too), so its text is stored.
    await allMailSent(t)

    // What the database holds now, read independently of the package: all of it must be in the answer.
    const held = []
    for (const id of ids) {
      const ledger = await queryRows<{ seq: number; type: string; hash: string; occurred_at: Date }>(
        t.app.db,
        sql`select seq, type, hash, occurred_at from ledger_events where candidacy_id = ${id} order by seq`,
      )
      const mail = await storedMail(sql`candidacy_id = ${id}`)
      const tracking = await queryRows<{ message_id: string; type: string; occurred_at: Date }>(
        t.app.db,
        sql`select message_id, type, occurred_at from tracking_events where candidacy_id = ${id} order by occurred_at`,
      )
      held.push({ id, ledger, mail, tracking })
    }
    // Mail to them about no candidacy: the acknowledgement of this request.
    const direct = await storedMail(sql`candidacy_id is null and lower(to_address) = ${email.toLowerCase()}`)
    expect(direct.map((item) => item.template)).toEqual(['request_received'])
    // The two mails, each with the two provider events sent above.
    expect(held.map((row) => row.mail)).toEqual([
      [expect.objectContaining({ id: notice.messageId, template: 'art14_notice', status: 'opened' })],
      [
        expect.objectContaining({
          id: consentMail.messageId,
          template: 'consent_request',
          status: 'clicked',
        }),
      ],
    ])
    expect(held.map((row) => row.tracking.map((event) => event.type))).toEqual([
      ['delivery', 'open'],
      ['delivery', 'click'],
    ])
    const log = await queryRows<{ at: Date; action: string; route: string; role: string; by: string }>(
      t.app.db,
      sql`select a.at, a.action, a.route, u.role, u.display_name as by from access_log a join users u on u.id = a.user_id
          where a.person_id = ${personId} order by a.at, a.id`,
    )
    expect(log.map((entry) => entry.route)).toEqual(
      expect.arrayContaining(['GET /candidacies/:id', 'POST /candidacies/:id/facts']),
    )

    const done = json<{
      result: {
        package: {
          candidacies: number
          facts: number
          messages: number
          ledgerEvents: number
          trackingEvents: number
          accessLogEntries: number
        }
      }
    }>(await act(request.id, 'complete'), 200)
    const mail = await vi.waitFor(
      () => {
        const found = mailsTo(email).find((item) => /\/d\/[A-Za-z0-9_-]{43}/.test(item.text))
        expect(found).toBeDefined()
        return found!
      },
      { timeout: 15_000, interval: 50 },
    )
    const download = mail.text.match(/http:\/\/candor\.test(\/d\/[A-Za-z0-9_-]{43})/)![1]!

    // JSON: every category, value for value against the database.
    const answer = JSON.parse((await t.request({ method: 'GET', url: `${download}?format=json` })).body)
    expect(answer.person).toEqual({
      fullName: 'Complete Picture',
      emails: [{ address: email, undeliverable: false }],
      phone: '+31 20 123 4567',
      location: 'Utrecht',
      headline: 'Engineer <backend>',
      language: 'nl',
      restricted: false,
      identifiers: [{ kind: 'passport', value: 'NP1234567' }],
    })
    expect(answer.candidacies.map((candidacy: { id: string }) => candidacy.id).sort()).toEqual(
      [...ids].sort(),
    )
    const sparkpost = {
      name: 'SparkPost',
      role: 'processor',
      activity: 'e-mail delivery and delivery events',
      country: 'US',
      safeguards: expect.stringContaining('Standard Contractual Clauses'),
      received: true,
    }
    const expected = [
      {
        vacancy: { title: 'Senior backend engineer', purpose: PURPOSE, legalBasis: 'legitimate_interest' },
        client: { name: 'Access Client A', country: 'NL' },
        retention: { daysAfterVacancyCloses: 28 },
        facts: [
          {
            kind: 'experience',
            value: 'Six years at "Fietsenfabriek Noord"',
            specialCategory: null,
            source: {
              type: 'linkedin',
              url: 'https://www.linkedin.com/in/complete-picture',
              collectedAt: '2026-01-03T11:00:00.000Z',
            },
          },
          {
            kind: 'skill',
            value: 'TypeScript',
            specialCategory: null,
            source: {
              type: 'github',
              url: 'https://github.com/complete-picture',
              collectedAt: '2026-01-02T10:00:00.000Z',
            },
          },
        ],
      },
      {
        vacancy: {
          title: 'Data platform engineer',
          purpose: dataPurpose,
          legalBasis: 'consent',
        },
        client: { name: 'Access Client B', country: 'NL' },
        retention: { daysAfterVacancyCloses: 90 },
        facts: [
          {
            kind: 'education',
            value: 'MSc Computer Science, TU Delft',
            specialCategory: null,
            source: {
              type: 'stackoverflow',
              url: 'https://stackoverflow.com/users/42/complete-picture',
              collectedAt: '2026-01-04T12:00:00.000Z',
            },
          },
        ],
      },
    ]
    for (const [index, { id, ledger, mail: sent, tracking }] of held.entries()) {
      const candidacy = answer.candidacies.find((item: { id: string }) => item.id === id)
      const want = expected[index]!
      expect(candidacy).toMatchObject({
        vacancy: want.vacancy,
        client: want.client,
        retention: want.retention,
      })
      expect(
        [...candidacy.facts].sort((a: { kind: string }, b: { kind: string }) => a.kind.localeCompare(b.kind)),
      ).toEqual(want.facts)
      expect(candidacy.recipients).toEqual([
        {
          name: want.client.name,
          role: 'client (controller)',
          agreementRole: 'controller',
          country: 'NL',
          received: false,
        },
        sparkpost,
      ])
      // The ledger as it stood when the package was made (the hand-over is recorded right after).
      expect(candidacy.ledger).toEqual(
        ledger.map((event) =>
          expect.objectContaining({
            seq: event.seq,
            type: event.type,
            at: new Date(event.occurred_at).toISOString(),
            hash: event.hash,
          }),
        ),
      )
      // Every mail of the candidacy, with its text as stored and the provider's events about it.
      expect(candidacy.messages).toHaveLength(sent.length)
      for (const stored of sent) {
        const message = candidacy.messages.find(
          (item: { subject: string }) => item.subject === stored.subject,
        )
        expect(message).toMatchObject({
          template: stored.template,
          status: stored.status,
          to: email,
          text: stored.body_text,
        })
        expect(message.providerEvents).toEqual(
          tracking
            .filter((event) => event.message_id === stored.id)
            .map((event) => ({
              type: event.type,
              at: new Date(event.occurred_at).toISOString(),
              details: expect.objectContaining({ ip_address: '192.0.2.7', rcpt_to: email.toLowerCase() }),
            })),
        )
      }
    }
    expect(answer.messages).toEqual(
      direct.map((stored) =>
        expect.objectContaining({
          template: stored.template,
          status: stored.status,
          to: email,
          subject: stored.subject,
          text: stored.body_text,
        }),
      ),
    )
    expect(answer.accessLog).toEqual(
      log.map((entry) => ({
        at: new Date(entry.at).toISOString(),
        action: entry.action,
        route: entry.route,
        role: entry.role,
        by: entry.by,
      })),
    )
    expect(answer.requests).toEqual([
      { type: 'access', status: 'verified', receivedAt: '2026-01-31T09:00:00.000Z' },
    ])
    expect(done.result.package).toMatchObject({
      candidacies: 2,
      facts: 3,
      messages: 3,
      ledgerEvents: held.reduce((sum, row) => sum + row.ledger.length, 0),
      trackingEvents: 4,
      accessLogEntries: log.length,
    })
    for (const id of ids) {
      const [exported] = await queryRows<{ evidence: Record<string, string> }>(
        t.app.db,
        sql`select evidence from ledger_events where candidacy_id = ${id} and type = 'exported'`,
      )
      expect(exported!.evidence).toEqual({ request: request.id, format: 'access' })
    }
    // The export is in the access log like any read: who, whose data, through which route.
    const exports = await queryRows<{ action: string; route: string; role: string }>(
      t.app.db,
      sql`select a.action, a.route, u.role from access_log a join users u on u.id = a.user_id
          where a.person_id = ${personId} and a.action = 'export'`,
    )
    expect(exports).toEqual([{ action: 'export', route: 'POST /requests/:id/complete', role: 'dpo' }])

    // HTML: the same, readable, in Dutch; each candidacy's data inside that candidacy's section.
    const html = (await t.request({ method: 'GET', url: download })).body
    expect(html).toContain('<html lang="nl">')
    const rowsOf = (part: string, table: string) =>
      (part.split(`<table class="${table}">`)[1] ?? '').split('</table>')[0]!.split('<tr>').slice(1)
    const personRows = rowsOf(html, 'person')
    for (const [label, value] of [
      ['Naam', 'Complete Picture'],
      ['E-mail', email],
      ['Telefoon', '+31 20 123 4567'],
      ['Woonplaats', 'Utrecht'],
      ['Kopregel', 'Engineer <backend>'],
      ['passport', 'NP1234567'],
    ]) {
      expect(personRows, label!).toContainEqual(
        expect.stringContaining(`<th>${label}</th><td>${escapeHtml(value!)}`),
      )
    }
    const sections = html.split('<section class="candidacy" ').slice(1)
    expect(sections).toHaveLength(2)
    for (const [index, { id, ledger, mail: sent, tracking }] of held.entries()) {
      const section = sections
        .find((part) => part.startsWith(`id="candidacy-${id}"`))!
        .split('</section>')[0]!
      const want = expected[index]!
      // Rows of the candidacy's own table, label and value together.
      const row = (label: keyof typeof nl, value: string) =>
        expect(section).toContain(`<tr><th>${nl[label]}</th><td>${value}</td></tr>`)
      expect(section).toContain(`<h3>${nl['package.vacancy']}: ${escapeHtml(want.vacancy.title)}</h3>`)
      row('package.client', `${escapeHtml(want.client.name)} (NL)`)
      row('package.purpose', escapeHtml(want.vacancy.purpose))
      row('package.basis', escapeHtml(nl[`basis.${want.vacancy.legalBasis}` as keyof typeof nl]))
      row('package.retention', `${want.retention.daysAfterVacancyCloses} ${nl['package.retentionDays']}`)
      const recipients = section.split('<ul class="recipients">')[1]!.split('</ul>')[0]!
      expect(recipients).toContain(
        `${escapeHtml(want.client.name)} (NL) — opdrachtgever: wij bepalen wat er met uw gegevens gebeurt (nog niet)`,
      )
      expect(recipients).toContain(
        'SparkPost — verwerker (werkt voor ons): e-mail delivery and delivery events (US; waarborgen voor de doorgifte: EU Standard Contractual Clauses (2021/914)',
      )
      const facts = rowsOf(section, 'facts')
      expect(facts).toHaveLength(want.facts.length)
      for (const fact of want.facts) {
        const sourceName = nl[`source.${fact.source.type}` as keyof typeof nl]
        expect(facts, fact.value).toContainEqual(
          expect.stringContaining(
            `<td>${fact.kind}</td><td>${escapeHtml(fact.value)}</td><td>${sourceName} ${fact.source.url} (${fact.source.collectedAt})</td>`,
          ),
        )
      }
      const ledgerRows = rowsOf(section, 'ledger')
      expect(ledgerRows).toHaveLength(ledger.length)
      ledger.forEach((event, at) => {
        expect(ledgerRows[at]).toContain(
          `<td>${event.seq}</td><td>${new Date(event.occurred_at).toISOString()}</td><td>${event.type}</td>`,
        )
        expect(ledgerRows[at]).toContain(event.hash.slice(0, 16))
      })
      const articles = section.split('<article class="message">').slice(1)
      expect(articles).toHaveLength(sent.length)
      for (const stored of sent) {
        const article = articles.find((part) =>
          part.includes(`<strong>${escapeHtml(stored.subject)}</strong>`),
        )
        expect(article, stored.template).toBeDefined()
        expect(article).toContain(`<pre>${escapeHtml(stored.body_text)}</pre>`)
        for (const event of tracking.filter((item) => item.message_id === stored.id))
          expect(article).toContain(`${event.type} (${new Date(event.occurred_at).toISOString()})`)
      }
    }
    const other = html.split('<section class="other-mail">')[1]!.split('</section>')[0]!
    const otherArticles = other.split('<article class="message">').slice(1)
    expect(otherArticles).toHaveLength(direct.length)
    direct.forEach((stored, at) => {
      expect(otherArticles[at]).toContain(`<strong>${escapeHtml(stored.subject)}</strong>`)
      expect(otherArticles[at]).toContain(`<pre>${escapeHtml(stored.body_text)}</pre>`)
    })
    const logRows = rowsOf(html, 'access-log')
    expect(logRows).toHaveLength(log.length)
    log.forEach((entry, at) => {
      expect(logRows[at]!.trim()).toBe(
        `<td>${new Date(entry.at).toISOString()}</td><td>${escapeHtml(entry.by)} (${entry.role})</td><td>${entry.action}</td><td>${escapeHtml(entry.route)}</td></tr>`,
      )
    })
    expect(rowsOf(html, 'requests')).toEqual([
      expect.stringContaining(
        '<td>inzage</td><td>identiteit gecontroleerd</td><td>ontvangen op 2026-01-31T09:00:00.000Z</td>',
      ),
    ])
    // In their language only: no English legal basis, no English labels.
    for (const text of [
      en['basis.legitimate_interest'],
      en['basis.consent'],
      en['package.retentionDays'],
      '(not yet)',
    ])
      expect(html).not.toContain(escapeHtml(text))

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
    const candidacy = await sourceCandidate(t, vacancy, { email })
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
    // Nor is a restricted person sourced into another vacancy (Art. 18(2): storage only).
    const candidacyCount = async () =>
      (
        await queryRows<{ id: string }>(
          t.app.db,
          sql`select id from candidacies where person_id = ${candidacy.person.id}`,
        )
      ).length
    const resourced = await t.request({
      method: 'POST',
      url: `/vacancies/${consentVacancy.id}/candidacies`,
      as: consentVacancy.recruiter,
      payload: sourcingPayload({ email: email.toUpperCase(), facts: [] }),
    })
    expect(resourced.json()).toMatchObject({ status: 409, code: 'person.restricted' })
    expect(await candidacyCount()).toBe(1)
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
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${consentVacancy.id}/candidacies`,
        as: consentVacancy.recruiter,
        payload: sourcingPayload({ email, facts: [] }),
      }),
      201,
    )
    expect(await candidacyCount()).toBe(2)

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
    const rejected = json<{
      status: string
      ownerId: string | null
      rejectionReason: string | null
      transitions: Array<{ status: string; step?: string }>
    }>(
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
