import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { runCli } from '../../../src/cli'
import { queryRows } from '../../../src/db/client'
import { parseProcessors } from '../../../src/lib/processors'
import { enqueueOutreach } from '../../../src/modules/outreach/outreach.service'
import { RECORD_COLUMNS } from '../../../src/modules/records/records.service'
import { scanForTraces } from '../../../src/modules/requests/erasure.repository'
import { runRetention } from '../../../src/modules/retention/retention.service'
import { scheduleTalentPoolRenewals } from '../../../src/modules/talent-pool/talent-pool.service'
import { startTestApp, type TestApp } from '../../helpers/app'
import { parseCsv } from '../../helpers/csv'
import {
  formTokenOf,
  json,
  linkToken,
  requestConsent,
  type SeededVacancy,
  seedOpenVacancy,
  sourcingPayload,
} from '../../helpers/seed'
import { rowCounts, tableStates } from '../../helpers/tables'
import { findTraces } from '../../helpers/traces'

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp({ env: { RUN_WORKERS: 'true', MAIL_TRANSPORT: 'capture' } })
  t.clock.set('2026-03-02T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Retention Client' })
})
afterAll(() => t.close())

interface Someone {
  /** Mixed case, as a recruiter might type it; stored normalised too. */
  email: string
  name: string
  /** Unique per person, so a scan for it can only find this person. */
  phone: string
}

let people = 0
function someone(tag: string): Someone {
  people++
  return {
    email: `Ret.${tag}@Example.ORG`,
    name: `Ret ${tag} Person`,
    phone: `+31 6 4321 ${String(7000 + people)}`,
  }
}

/** Every form in which a trace of the person could be left: as given, other cases, a phone without spaces. */
const needles = (person: Someone) => [
  person.email,
  person.email.toLowerCase(),
  person.email.toUpperCase(),
  person.name,
  person.phone,
  person.phone.replaceAll(' ', ''),
]

async function source(target: SeededVacancy, person: Someone) {
  return json<{ id: string; person: { id: string } }>(
    await t.request({
      method: 'POST',
      url: `/vacancies/${target.id}/candidacies`,
      as: target.recruiter,
      payload: sourcingPayload({
        email: person.email,
        fullName: person.name,
        person: { phone: person.phone },
        collectedAt: '2026-03-01T10:00:00Z',
      }),
    }),
    201,
  )
}

/** The CLI in this process, on the test's database and clock, with what it prints. */
async function captureCli(args: string[]): Promise<string> {
  let output = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string) => {
    output += chunk
    return true
  }) as typeof process.stdout.write
  try {
    await runCli(
      args,
      {
        DATABASE_URL: t.databaseUrl,
        DATA_DIR: t.config.DATA_DIR,
        SERVER_SECRET: t.config.SERVER_SECRET,
        FIELD_ENCRYPTION_KEYS: t.config.FIELD_ENCRYPTION_KEYS,
      },
      { clock: t.clock },
    )
  } finally {
    process.stdout.write = write
  }
  return output
}

async function ledgerTypes(candidacyId: string): Promise<string[]> {
  const events = await queryRows<{ type: string }>(
    t.app.db,
    sql`select type from ledger_events where candidacy_id = ${candidacyId} order by seq`,
  )
  return events.map((event) => event.type)
}

async function candidacyView(candidacyId: string) {
  return json<{ stage: string; person: { id: string; phone: string | null } | null }>(
    await t.request({ method: 'GET', url: `/candidacies/${candidacyId}`, as: vacancy.dpo }),
    200,
  )
}

async function expectLedgerValid() {
  const verification = json<{ valid: boolean; chains: number; events: number; breaks: unknown[] }>(
    await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
    200,
  )
  const [all] = await queryRows<{ n: number }>(t.app.db, sql`select count(*)::int as n from ledger_events`)
  expect(verification).toMatchObject({ valid: true, breaks: [], events: all!.n })
}

/** Both no-trace scans of the request issue: the test's own (plain SQL) and the erasure proof's. */
async function expectNoTrace(person: Someone) {
  expect(await findTraces(t.databaseUrl, needles(person))).toEqual([])
  expect((await scanForTraces(t.app.db, needles(person))).found).toEqual([])
}

describe('retention', () => {
  it('erases the candidates of a vacancy closed 29 days ago and an objector, keeps one with an open request, and dry runs change nothing', async () => {
    const closing = await seedOpenVacancy(t, { clientName: 'Closing Client' })
    const goneP = someone('Gone')
    const keptP = someone('Kept')
    const staysP = someone('Stays')
    const objectorP = someone('Objector')
    const gone = await source(closing, goneP)
    const kept = await source(closing, keptP)
    const stays = await source(vacancy, staysP)
    const objector = await source(vacancy, objectorP)

    // Data in every table a retention erasure must empty: mail sent, a pending talent-pool request …
    const { messageId } = await enqueueOutreach(t.app.services, closing.recruiter.id, gone.id, 'art14_notice')
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
    json(
      await t.request({
        method: 'POST',
        url: `/people/${gone.person.id}/talent-pool-requests`,
        as: closing.recruiter,
      }),
      201,
    )
    // … an objection (no live basis left, and a suppression that must outlive the erasure) …
    const links = await requestConsent(t, objector.id, vacancy.recruiter)
    const withdrawPath = `/w/${linkToken(links.withdrawUrl)}`
    const withdrawPage = await t.request({ method: 'GET', url: withdrawPath })
    expect(
      (
        await t.request({
          method: 'POST',
          url: withdrawPath,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `form=${encodeURIComponent(formTokenOf(withdrawPage.body))}`,
        })
      ).body,
    ).toContain('we stopped')
    // … and an open access request, which keeps its person.
    json(
      await t.request({
        method: 'POST',
        url: '/requests',
        as: vacancy.dpo,
        payload: {
          type: 'access',
          personId: kept.person.id,
          receivedAt: '2026-03-02T08:00:00Z',
          channel: 'email',
        },
      }),
      201,
    )
    json(
      await t.request({
        method: 'PATCH',
        url: `/vacancies/${closing.id}`,
        as: closing.recruiter,
        payload: { status: 'closed' },
      }),
      200,
    )
    const closed = json<{ retainUntil: string }>(
      await t.request({ method: 'GET', url: `/candidacies/${gone.id}`, as: closing.recruiter }),
      200,
    )
    expect(closed.retainUntil).toBe('2026-03-30T09:00:00.000Z')

    // Day 27: the closed vacancy's candidates are not due yet, in the service and in the CLI (on
    // the test's clock: on the wall clock, long after March 2026, they would be listed).
    t.clock.advance({ days: 27 })
    const early = (await runRetention(t.app.services, { dryRun: true })).plan
    expect(early.map((item) => item.personId)).toEqual([objector.person.id])
    const earlyCli = await captureCli(['retention:run', '--dry-run'])
    expect(earlyCli).toContain(`of person ${objector.person.id}: ${objector.id} (objected)`)
    expect(earlyCli).not.toContain(gone.person.id)
    expect(earlyCli).not.toContain(kept.person.id)
    expect(earlyCli).toContain('1 people affected; nothing changed (dry run)')
    t.clock.advance({ days: 2 })

    const before = await tableStates(t.databaseUrl)
    for (const table of [
      'messages',
      'suppressions',
      'subject_requests',
      'talent_pool',
      'people',
      'link_tokens',
    ])
      expect(before[table]?.rows, table).toBeGreaterThan(0)
    const dry = await captureCli(['retention:run', '--dry-run'])
    // Nothing changed: every table's row count and every row's content.
    const afterDry = await tableStates(t.databaseUrl)
    expect(rowCounts(afterDry)).toEqual(rowCounts(before))
    expect(afterDry).toEqual(before)
    const lines = dry.trim().split('\n')
    expect(lines).toContain(
      `would erase person and all candidacies of person ${gone.person.id}: ${gone.id} (retention_expired)`,
    )
    expect(lines).toContain(
      `would erase person and all candidacies of person ${objector.person.id}: ${objector.id} (objected)`,
    )
    expect(lines.find((line) => line.includes(kept.person.id))).toBe(
      `would erase 1 candidacy(ies) of person ${kept.person.id}: ${kept.id} (retention_expired) — kept: open request`,
    )
    expect(dry).not.toContain(stays.person.id)
    expect(lines.at(-1)).toBe('3 people affected; nothing changed (dry run)')

    const result = await runRetention(t.app.services)
    expect(result).toMatchObject({ erasedPeople: 2, erasedCandidacies: 2 })
    // The tables the dry run left alone are ones the run does change (so equal counts meant something).
    const after = rowCounts(await tableStates(t.databaseUrl))
    expect(after.people).toBe(before.people!.rows - 2)
    expect(after.messages).toBeLessThan(before.messages!.rows)
    expect(after.talent_pool).toBe(before.talent_pool!.rows - 1)
    expect(after.suppressions).toBe(before.suppressions!.rows)
    expect(after.subject_requests).toBe(before.subject_requests!.rows)

    for (const [candidacy, person] of [
      [gone, goneP],
      [objector, objectorP],
    ] as const) {
      await expectNoTrace(person)
      expect((await ledgerTypes(candidacy.id)).at(-1)).toBe('retention_expired')
      expect(await candidacyView(candidacy.id)).toMatchObject({ stage: 'erased', person: null })
    }
    const [event] = await queryRows<{ type: string; evidence: Record<string, string> }>(
      t.app.db,
      sql`select type, evidence from ledger_events where candidacy_id = ${gone.id} order by seq desc limit 1`,
    )
    expect(event).toEqual({ type: 'retention_expired', evidence: { reason: 'retention_expired' } })
    await expectLedgerValid()

    // The scan does look where phones and names live: the kept person, and the one whose vacancy
    // is still open, are found there, untouched.
    for (const [candidacy, person] of [
      [kept, keptP],
      [stays, staysP],
    ] as const) {
      expect(
        await findTraces(t.databaseUrl, [person.phone, person.name, person.email.toUpperCase()]),
      ).toEqual(
        expect.arrayContaining([
          `public.people.phone contains ${JSON.stringify(person.phone)}`,
          `public.people.full_name contains ${JSON.stringify(person.name)}`,
          `public.person_emails.normalized contains ${JSON.stringify(person.email.toUpperCase())}`,
        ]),
      )
      expect(await candidacyView(candidacy.id)).toMatchObject({
        stage: 'sourced',
        person: { id: candidacy.person.id, phone: person.phone },
      })
      expect(await ledgerTypes(candidacy.id)).not.toContain('retention_expired')
    }

    // Retention is not an objection: the person may be sourced again for another vacancy …
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/candidacies`,
        as: vacancy.recruiter,
        payload: sourcingPayload({ email: goneP.email.toLowerCase() }),
      }),
      201,
    )
    // … but the objector's suppression outlived their erasure.
    const again = await t.request({
      method: 'POST',
      url: `/vacancies/${vacancy.id}/candidacies`,
      as: vacancy.recruiter,
      payload: sourcingPayload({ email: objectorP.email }),
    })
    expect(again.json()).toMatchObject({ status: 409, code: 'sourcing.suppressed' })
    t.clock.set('2026-03-02T09:00:00Z')
  })

  it('a talent-pool consent asks for renewal at 11 months and, unanswered, ends in erasure at 12', async () => {
    const pool = await seedOpenVacancy(t, { clientName: 'Pool Client' })
    const memberP = someone('Pool.Member')
    const member = await source(pool, memberP)
    const request = json<{ url: string }>(
      await t.request({
        method: 'POST',
        url: `/people/${member.person.id}/talent-pool-requests`,
        as: pool.recruiter,
      }),
      201,
    )
    const path = new URL(request.url).pathname
    const page = await t.request({ method: 'GET', url: path })
    expect(page.body).toContain('talent pool')
    const answer = await t.request({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `choice=consent&form=${encodeURIComponent(formTokenOf(page.body))}`,
    })
    expect(answer.body).toContain('you are in our talent pool')
    json(
      await t.request({
        method: 'PATCH',
        url: `/vacancies/${pool.id}`,
        as: pool.recruiter,
        payload: { status: 'closed' },
      }),
      200,
    )

    t.clock.advance({ days: 60 })
    const plan = (await runRetention(t.app.services, { dryRun: true })).plan.find(
      (item) => item.personId === member.person.id,
    )
    expect(plan?.keptBecause).toBe('talent_pool')
    await runRetention(t.app.services)
    expect(
      json<{ stage: string }>(
        await t.request({ method: 'GET', url: `/candidacies/${member.id}`, as: pool.dpo }),
        200,
      ).stage,
    ).toBe('sourced')

    t.clock.set('2027-02-05T09:00:00Z') // eleven months after consenting
    expect(await scheduleTalentPoolRenewals(t.app.services)).toBe(1)
    expect(await scheduleTalentPoolRenewals(t.app.services)).toBe(0)
    const renewal = await vi.waitFor(
      () => {
        const found = t.app.mailer
          .captured()
          .find(
            (mail) =>
              mail.to.toLowerCase() === memberP.email.toLowerCase() &&
              /\/t\/[A-Za-z0-9_-]{43}/.test(mail.text),
          )
        expect(found).toBeDefined()
        return found!
      },
      { timeout: 15_000, interval: 50 },
    )
    expect(renewal.subject).toContain('2027')

    t.clock.set('2027-03-03T09:00:00Z') // twelve months and a day, no answer
    const result = await runRetention(t.app.services)
    expect(result.plan.find((item) => item.personId === member.person.id)).toMatchObject({
      wholePerson: true,
      candidacies: [{ candidacyId: member.id, reason: 'retention_expired' }],
    })
    expect(result.plan.find((item) => item.personId === member.person.id)?.keptBecause).toBeUndefined()
    expect(result.erasedPeople).toBeGreaterThanOrEqual(1)
    // The renewal mail was sent to the address and then went with the person.
    await expectNoTrace(memberP)
    expect((await ledgerTypes(member.id)).at(-1)).toBe('retention_expired')
    expect(await candidacyView(member.id)).toMatchObject({ stage: 'erased', person: null })
    await expectLedgerValid()
    t.clock.set('2026-03-02T09:00:00Z')
  })
})

describe('records of processing (Art. 30)', () => {
  it('exports CSV and HTML with every Art. 30(1) field for every open vacancy, and the DPIA of a special-category vacancy', async () => {
    const special = await seedOpenVacancy(t, { clientName: 'Special Client' })
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${special.id}/candidacies`,
        as: special.recruiter,
        payload: sourcingPayload({
          facts: [
            {
              kind: 'note',
              value: 'Public union role',
              source: {
                type: 'website',
                url: 'https://example.org/union',
                collectedAt: '2026-03-01T10:00:00Z',
              },
              special: { category: 'union_membership', basis: 'manifestly_public' },
            },
          ],
        }),
      }),
      201,
    )
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${special.id}/dpia`,
        as: special.dpo,
        payload: { reference: 'DPIA-2026-07', summary: 'Only what the person published.' },
      }),
      200,
    )
    // A consent vacancy of a client outside the EEA that has us as its processor (Art. 30(2), Chapter V).
    const overseas = await seedOpenVacancy(t, {
      clientName: 'Overseas Client Inc.',
      clientCountry: 'US',
      agreementRole: 'processor',
      legalBasis: 'consent',
      title: 'Data engineer',
    })
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${overseas.id}/candidacies`,
        as: overseas.recruiter,
        payload: sourcingPayload({ facts: [] }),
      }),
      201,
    )

    // The oracle: every open vacancy, read with plain SQL next to the service's own query.
    const open = await queryRows<OpenVacancy>(
      t.app.db,
      sql`select v.id, v.title, v.purpose, v.legal_basis as "legalBasis", v.retention_days as "retentionDays",
            v.dpia_reasons::text[] as "dpiaReasons", cl.name as client, cl.country,
            (select a.role::text from processing_agreements a where a.client_id = cl.id order by a.signed_at desc limit 1) as "agreementRole",
            (select a.version from processing_agreements a where a.client_id = cl.id order by a.signed_at desc limit 1) as "agreementVersion",
            (select l.approved_by::text from legitimate_interest_assessments l where l.vacancy_id = v.id and l.approved_at is not null) as "approvedBy",
            (select d.reference from dpias d where d.vacancy_id = v.id) as "dpiaReference",
            array(select distinct f.kind::text from facts f join candidacies c on c.id = f.candidacy_id where c.vacancy_id = v.id) as "factKinds",
            array(select distinct f.special_category::text from facts f join candidacies c on c.id = f.candidacy_id
                  where c.vacancy_id = v.id and f.special_category is not null) as "specialCategories"
          from vacancies v join clients cl on cl.id = v.client_id
          where v.status = 'open' order by cl.name`,
    )
    expect(open.map((row) => row.client)).toEqual([
      'Overseas Client Inc.',
      'Retention Client',
      'Special Client',
    ])

    const csv = await captureCli(['records:export', '--format', 'csv'])
    const [columns, ...rows] = parseCsv(csv)
    expect(columns).toEqual([...RECORD_COLUMNS])
    const csvEntries = rows.map((row) => {
      const field = (name: (typeof RECORD_COLUMNS)[number]) => row[columns!.indexOf(name)] ?? ''
      return {
        heading: `${field('purpose (vacancy)')} — ${field('client')} (${field('status')})`,
        controller: field('controller'),
        dpo: field('dpo'),
        purpose: field('purpose of processing'),
        legalBasis: `${field('legal basis')}; ${field('basis evidence')}`,
        dataSubjects: field('categories of data subjects'),
        dataCategories: field('categories of personal data'),
        specialCategories: field('special categories'),
        dpia: field('DPIA'),
        recipients: field('recipients'),
        transfers: field('transfers outside the EEA'),
        retention: field('retention'),
        measures: field('technical and organisational measures'),
      }
    })

    const html = await captureCli(['records:export', '--format', 'html'])
    expect(html).toMatch(/^\s*<!doctype html>/i)
    expect(html).toContain('<title>Records of processing activities (Art. 30 GDPR)')
    const htmlEntries = htmlRecord(html)

    for (const [format, entries] of [
      ['csv', csvEntries],
      ['html', htmlEntries.purposes],
    ] as const) {
      const openEntries = entries.filter((entry) => entry.heading.endsWith('(open)'))
      expect(openEntries.map((entry) => entry.heading).sort(), format).toEqual(
        open.map((row) => `${row.title} — ${row.client} (open)`).sort(),
      )
      for (const row of open) {
        const matching = entries.filter((entry) => entry.heading === `${row.title} — ${row.client} (open)`)
        expect(matching, `${format}: ${row.client}`).toHaveLength(1)
        expectArt30(`${format}: ${row.client}`, matching[0]!, row)
      }
      const specialEntry = entries.find((entry) => entry.heading.includes('Special Client'))!
      expect(specialEntry.specialCategories).toBe('union_membership')
      expect(specialEntry.dpia).toContain('required (special_categories): DPIA-2026-07')
      const overseasEntry = entries.find((entry) => entry.heading.includes('Overseas Client Inc.'))!
      expect(overseasEntry.legalBasis).toContain('Art. 6(1)(a) consent')
      expect(overseasEntry.recipients).toContain(
        'Overseas Client Inc. — client, processor (agreement 2026-1)',
      )
      expect(overseasEntry.transfers).toContain(
        'Overseas Client Inc. (US): as agreed in processing agreement 2026-1',
      )
    }
    // The HTML names the controller and DPO once, for the whole record, and the DPIA's date.
    expect(htmlEntries.controller).toBe(`${t.config.CONTROLLER_NAME} — ${t.config.CONTROLLER_CONTACT}`)
    expect(htmlEntries.dpo).toBe(t.config.DPO_CONTACT)
    expect(htmlEntries.purposes.find((entry) => entry.heading.includes('Special Client'))!.dpia).toMatch(
      /DPIA-2026-07, recorded 2026-/,
    )
    // Art. 30(2): the client we act for as processor has its register entry; controller clients do not.
    expect(htmlEntries.processorRegister).toContain('Overseas Client Inc.')
    expect(htmlEntries.processorRegister).not.toContain('Special Client')

    // The API serves the same document as the CLI (both on the test's clock).
    const fromApi = await t.request({ method: 'GET', url: '/dpo/records?format=html', as: vacancy.dpo })
    expect(fromApi.headers['content-type']).toContain('text/html')
    expect(fromApi.body).toBe(html)
    const record = JSON.parse((await t.request({ method: 'GET', url: '/dpo/records', as: vacancy.dpo })).body)
    expect(record.controller).toMatchObject({ name: expect.any(String), dpo: expect.any(String) })
  })

  it('exports the access log and an overview of what a DPO watches', async () => {
    const log = await t.request({ method: 'GET', url: '/dpo/access-log?format=csv', as: vacancy.dpo })
    expect(log.headers['content-type']).toContain('text/csv')
    expect(log.body.split('\r\n')[0]).toBe('"at","userId","action","route","personId","candidacyId"')
    const overview = json<{
      candidacies: { legitimateInterest: number; consent: number }
      requests: { open: number; overdue: number }
      ledger: { valid: boolean }
    }>(await t.request({ method: 'GET', url: '/dpo/overview', as: vacancy.dpo }), 200)
    expect(overview).toMatchObject({
      candidacies: { legitimateInterest: expect.any(Number), consent: expect.any(Number) },
      requests: { open: expect.any(Number), overdue: expect.any(Number) },
      ledger: { valid: true },
    })
  })
})

interface OpenVacancy {
  id: string
  title: string
  purpose: string
  legalBasis: 'legitimate_interest' | 'consent'
  retentionDays: number
  dpiaReasons: string[]
  client: string
  country: string
  agreementRole: string | null
  agreementVersion: string | null
  approvedBy: string | null
  dpiaReference: string | null
  factKinds: string[]
  specialCategories: string[]
}

/** One purpose of the record, as text, whichever format it came from. */
interface Art30Entry {
  heading: string
  controller?: string
  dpo?: string
  purpose: string
  legalBasis: string
  dataSubjects: string
  dataCategories: string
  specialCategories: string
  dpia: string
  recipients: string
  transfers: string
  retention: string
  measures: string
}

const EEA = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO'.split(' '),
)

/** Art. 30(1)(a)–(g) for one vacancy, against the database and the configuration. */
function expectArt30(label: string, entry: Art30Entry, row: OpenVacancy) {
  const config = t.config
  if (entry.controller !== undefined) {
    expect(entry.controller, label).toContain(config.CONTROLLER_NAME)
    expect(entry.controller, label).toContain(config.CONTROLLER_CONTACT)
    expect(entry.dpo, label).toBe(config.DPO_CONTACT)
  }
  // (b) purpose; Art. 6 basis with its assessment.
  expect(entry.purpose, label).toBe(row.purpose)
  if (row.legalBasis === 'legitimate_interest') {
    expect(row.approvedBy, label).toBeTruthy()
    expect(entry.legalBasis, label).toContain('Art. 6(1)(f) legitimate interest')
    expect(entry.legalBasis, label).toContain(
      `legitimate-interest assessment approved by ${row.approvedBy} on 2026-`,
    )
  } else {
    expect(entry.legalBasis, label).toContain('Art. 6(1)(a) consent')
    expect(entry.legalBasis, label).toContain('consent per candidate, proved in the ledger')
  }
  // (c) categories of data subjects and of personal data, special categories flagged.
  expect(entry.dataSubjects, label).toContain('candidates for this vacancy')
  expect(entry.dataCategories, label).toContain('contact details (name, e-mail address, phone)')
  for (const kind of row.factKinds)
    expect(entry.dataCategories, label).toContain(`professional profile: ${kind}`)
  expect(entry.specialCategories, label).toBe(
    row.specialCategories.length > 0 ? [...row.specialCategories].sort().join('; ') : 'none',
  )
  if (row.dpiaReasons.length > 0) {
    expect(row.dpiaReference, label).toBeTruthy()
    expect(entry.dpia, label).toContain(`required (${row.dpiaReasons.join(', ')}): ${row.dpiaReference}`)
  } else {
    expect(entry.dpia, label).toBe('not required')
  }
  // (d) recipients: the client with our role under its agreement, and every processor.
  expect(entry.recipients, label).toContain(
    `${row.client} — client, ${row.agreementRole} (agreement ${row.agreementVersion})`,
  )
  const processors = parseProcessors(config.PROCESSORS)
  expect(processors.length, label).toBeGreaterThan(0)
  for (const processor of processors)
    expect(entry.recipients, label).toContain(`${processor.name} — processor: ${processor.activity}`)
  // (e) transfers outside the EEA with their safeguards.
  const transfers = [
    ...(EEA.has(row.country)
      ? []
      : [`${row.client} (${row.country}): as agreed in processing agreement ${row.agreementVersion}`]),
    ...processors
      .filter((processor) => !EEA.has(processor.country))
      .map((processor) => `${processor.name} (${processor.country}): ${processor.safeguards}`),
  ]
  expect(entry.transfers, label).toBe(transfers.length > 0 ? transfers.join('; ') : 'none')
  // (f) retention; (g) technical and organisational measures.
  expect(entry.retention, label).toContain(`${row.retentionDays} days after the vacancy closes`)
  expect(entry.measures, label).toBe(config.SECURITY_MEASURES)
}

const decode = (html: string) =>
  html
    .replace(/<br\s*\/?>|<\/li>/g, '; ')
    .replace(/<[^>]+>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ')
    .replace(/(;\s*)+$/, '')
    .trim()

const HTML_FIELDS: Record<string, keyof Art30Entry> = {
  Purpose: 'purpose',
  'Legal basis': 'legalBasis',
  'Categories of data subjects': 'dataSubjects',
  'Categories of personal data': 'dataCategories',
  'Special categories (Art. 9)': 'specialCategories',
  'DPIA (Art. 35)': 'dpia',
  Recipients: 'recipients',
  'Transfers outside the EEA': 'transfers',
  Retention: 'retention',
  'Technical and organisational measures': 'measures',
}

/** The HTML record read the way a supervisor would: one heading and one table per purpose. */
function htmlRecord(html: string) {
  const rowsOf = (table: string) =>
    new Map(
      [...table.matchAll(/<tr><th>([\s\S]*?)<\/th><td>([\s\S]*?)<\/td><\/tr>/g)].map((m) => [
        decode(m[1]!),
        decode(m[2]!),
      ]),
    )
  const art30_1 = html.indexOf('<h2>Art. 30(1)')
  const art30_2 = html.indexOf('<h2>Art. 30(2)')
  expect(art30_1).toBeGreaterThan(0)
  expect(art30_2).toBeGreaterThan(art30_1)
  const header = rowsOf(html.slice(0, art30_1))
  const purposes = html
    .slice(art30_1, art30_2)
    .split('<h3>')
    .slice(1)
    .map((section) => {
      const [heading, table] = section.split('</h3>') as [string, string]
      const fields = rowsOf(table)
      const entry: Record<string, string> = { heading: decode(heading) }
      for (const [th, key] of Object.entries(HTML_FIELDS)) entry[key] = fields.get(th) ?? ''
      return entry as unknown as Art30Entry
    })
  return {
    controller: header.get('Controller'),
    dpo: header.get('Data protection officer'),
    purposes,
    processorRegister: decode(html.slice(art30_2)),
  }
}
