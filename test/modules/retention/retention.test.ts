import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/cli'
import { queryRows } from '../../../src/db/client'
import { runRetention } from '../../../src/modules/retention/retention.service'
import { scheduleTalentPoolRenewals } from '../../../src/modules/talent-pool/talent-pool.service'
import { eventually, startTestApp, type TestApp } from '../../helpers/app'
import {
  formTokenOf,
  json,
  personalDataCounts,
  type SeededVacancy,
  seedOpenVacancy,
  sourcingPayload,
} from '../../helpers/seed'
import { findTraces } from '../../helpers/traces'

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp({ env: { RUN_WORKERS: 'true', MAIL_TRANSPORT: 'capture' } })
  t.clock.set('2026-03-02T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Retention Client' })
})
afterAll(() => t.close())

async function source(target: SeededVacancy, email: string, name: string) {
  return json<{ id: string; person: { id: string } }>(
    await t.request({
      method: 'POST',
      url: `/vacancies/${target.id}/candidacies`,
      as: target.recruiter,
      payload: sourcingPayload({
        email,
        fullName: name,
        person: { phone: '+31 6 9876 5432' },
        collectedAt: '2026-03-01T10:00:00Z',
      }),
    }),
    201,
  )
}

async function captureCli(args: string[]): Promise<string> {
  let output = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string) => {
    output += chunk
    return true
  }) as typeof process.stdout.write
  try {
    await runCli(args, {
      DATABASE_URL: t.databaseUrl,
      DATA_DIR: t.config.DATA_DIR,
      SERVER_SECRET: t.config.SERVER_SECRET!,
      FIELD_ENCRYPTION_KEYS: t.config.FIELD_ENCRYPTION_KEYS!,
    })
  } finally {
    process.stdout.write = write
  }
  return output
}

describe('retention', () => {
  it('erases the candidates of a vacancy closed 29 days ago, keeps one with an open request, and dry runs change nothing', async () => {
    const closing = await seedOpenVacancy(t, { clientName: 'Closing Client' })
    const gone = await source(closing, 'gone.after.retention@example.org', 'Ret Gone Person')
    const kept = await source(closing, 'kept.by.request@example.org', 'Ret Kept Person')
    const stays = await source(vacancy, 'still.open@example.org', 'Ret Stays Person')
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

    t.clock.advance({ days: 27 })
    expect((await runRetention(t.app.services, { dryRun: true })).plan).toEqual([])
    t.clock.advance({ days: 2 })

    const before = await personalDataCounts(t)
    const dry = await captureCli(['retention:run', '--dry-run'])
    expect(await personalDataCounts(t)).toEqual(before)
    expect(dry).toContain(
      `would erase person and all candidacies of person ${gone.person.id}: ${gone.id} (retention_expired)`,
    )
    expect(dry).toContain(`person ${kept.person.id}`)
    expect(dry).toContain('kept: open request')
    expect(dry).not.toContain(stays.person.id)

    const result = await runRetention(t.app.services)
    expect(result).toMatchObject({ erasedPeople: 1, erasedCandidacies: 1 })
    expect(await findTraces(t.databaseUrl, ['gone.after.retention@example.org', 'Ret Gone Person'])).toEqual(
      [],
    )
    const [event] = await queryRows<{ type: string; evidence: Record<string, string> }>(
      t.app.db,
      sql`select type, evidence from ledger_events where candidacy_id = ${gone.id} order by seq desc limit 1`,
    )
    expect(event).toEqual({ type: 'retention_expired', evidence: { reason: 'retention_expired' } })
    expect(
      json<{ stage: string }>(
        await t.request({ method: 'GET', url: `/candidacies/${kept.id}`, as: vacancy.dpo }),
        200,
      ).stage,
    ).toBe('sourced')
    expect(
      json<{ stage: string }>(
        await t.request({ method: 'GET', url: `/candidacies/${stays.id}`, as: vacancy.dpo }),
        200,
      ).stage,
    ).toBe('sourced')
    // Retention is not an objection: the person may be sourced again for another vacancy.
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/candidacies`,
        as: vacancy.recruiter,
        payload: sourcingPayload({ email: 'gone.after.retention@example.org' }),
      }),
      201,
    )
    t.clock.set('2026-03-02T09:00:00Z')
  })

  it('a talent-pool consent asks for renewal at 11 months and, unanswered, ends in erasure at 12', async () => {
    const pool = await seedOpenVacancy(t, { clientName: 'Pool Client' })
    const member = await source(pool, 'pool.member@example.org', 'Pool Member Person')
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
    const renewal = await eventually(async () =>
      t.app.mailer
        .captured()
        .find((mail) => mail.to === 'pool.member@example.org' && /\/t\/[A-Za-z0-9_-]{43}/.test(mail.text)),
    )
    expect(renewal.subject).toContain('2027')

    t.clock.set('2027-03-03T09:00:00Z') // twelve months and a day, no answer
    const result = await runRetention(t.app.services)
    expect(result.erasedPeople).toBeGreaterThanOrEqual(1)
    expect(await findTraces(t.databaseUrl, ['pool.member@example.org', 'Pool Member Person'])).toEqual([])
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
    const open = json<Array<{ id: string; title: string }>>(
      await t.request({ method: 'GET', url: '/vacancies?status=open', as: vacancy.dpo }),
      200,
    )
    expect(open.length).toBeGreaterThanOrEqual(2)

    const csv = await captureCli(['records:export', '--format', 'csv'])
    const [header, ...lines] = csv.trim().split('\r\n')
    const columns = header!.slice(1, -1).split('","')
    expect(columns).toEqual(
      expect.arrayContaining([
        'controller',
        'dpo',
        'purpose of processing',
        'legal basis',
        'categories of data subjects',
        'categories of personal data',
        'recipients',
        'transfers outside the EEA',
        'retention',
        'technical and organisational measures',
      ]),
    )
    const parse = (line: string) => line.slice(1, -1).split('","')
    const rows = lines.map(parse)
    const openRows = rows.filter((row) => row[columns.indexOf('status')] === 'open')
    expect(openRows.length).toBe(open.length)
    for (const row of openRows) {
      for (const column of columns) expect(row[columns.indexOf(column)], `${row[2]}: ${column}`).toBeTruthy()
    }
    const specialRow = rows.find((row) => row[columns.indexOf('client')] === 'Special Client')!
    expect(specialRow[columns.indexOf('special categories')]).toBe('union_membership')
    expect(specialRow[columns.indexOf('DPIA')]).toContain('DPIA-2026-07')
    expect(specialRow[columns.indexOf('transfers outside the EEA')]).toContain('SparkPost (US)')

    const html = await t.request({ method: 'GET', url: '/dpo/records?format=html', as: vacancy.dpo })
    expect(html.headers['content-type']).toContain('text/html')
    for (const text of [
      'Records of processing activities',
      'Special Client',
      'DPIA-2026-07',
      'Art. 6(1)(f) legitimate interest',
      'Technical and organisational measures',
    ]) {
      expect(html.body).toContain(text)
    }
    const record = JSON.parse((await t.request({ method: 'GET', url: '/dpo/records', as: vacancy.dpo })).body)
    expect(record.controller).toMatchObject({ name: expect.any(String), dpo: expect.any(String) })
  })

  it('exports the access log and an overview of what a DPO watches', async () => {
    const log = await t.request({ method: 'GET', url: '/dpo/access-log?format=csv', as: vacancy.dpo })
    expect(log.headers['content-type']).toContain('text/csv')
    expect(log.body.split('\r\n')[0]).toBe('"at","userId","action","route","personId","candidacyId"')
    const overview = json<Record<string, any>>(
      await t.request({ method: 'GET', url: '/dpo/overview', as: vacancy.dpo }),
      200,
    )
    expect(overview).toMatchObject({
      candidacies: { legitimateInterest: expect.any(Number), consent: expect.any(Number) },
      requests: { open: expect.any(Number), overdue: expect.any(Number) },
      ledger: { valid: true },
    })
  })
})
