import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/cli'
import { queryRows } from '../../../src/db/client'
import { appendLedgerEvents } from '../../../src/modules/ledger/ledger.service'
import { startTestApp, type TestApp } from '../../helpers/app'
import {
  answerConsent,
  formTokenOf,
  json,
  linkToken,
  requestConsent,
  type SeededVacancy,
  seedOpenVacancy,
  sourcingPayload,
} from '../../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy
let raw: postgres.Sql

beforeAll(async () => {
  t = await startTestApp({ env: { DATABASE_POOL_SIZE: '20' } })
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t)
  raw = postgres(t.databaseUrl, { max: 2, onnotice: () => {} })
})
afterAll(async () => {
  await raw.end()
  await t.close()
})

async function sourced() {
  return json<{ id: string }>(
    await t.request({
      method: 'POST',
      url: `/vacancies/${vacancy.id}/candidacies`,
      as: vacancy.recruiter,
      payload: sourcingPayload(),
    }),
    201,
  )
}

describe('the ledger is append-only and tamper-evident', () => {
  it('the database refuses UPDATE, DELETE and TRUNCATE, whoever asks', async () => {
    await sourced()
    await expect(raw`update ledger_events set type = 'consent_given'`).rejects.toThrow(/append-only/)
    await expect(raw`delete from ledger_events`).rejects.toThrow(/append-only/)
    await expect(raw`truncate ledger_events cascade`).rejects.toThrow(/append-only/)
    const [count] = await raw`select count(*)::int as n from ledger_events`
    expect(count!.n).toBeGreaterThan(0)
  })

  it('verification reports the first broken link of a chain changed behind the guard', async () => {
    const candidacy = await sourced()
    const links = await requestConsent(t, candidacy.id, vacancy.recruiter)
    await answerConsent(t, links.consentUrl)
    expect(
      json<{ valid: boolean }>(
        await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
        200,
      ).valid,
    ).toBe(true)

    // Someone with superuser rights disables the trigger and rewrites history: consent was "given" by a user.
    await raw.begin(async (tx) => {
      await tx`alter table ledger_events disable trigger ledger_events_no_update_or_delete`
      await tx`update ledger_events set actor_type = 'user' where candidacy_id = ${candidacy.id} and seq = 3`
      await tx`alter table ledger_events enable trigger ledger_events_no_update_or_delete`
    })
    const report = json<{ valid: boolean; breaks: unknown[] }>(
      await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
      200,
    )
    expect(report.valid).toBe(false)
    expect(report.breaks).toEqual([{ candidacyId: candidacy.id, seq: 3, reason: 'hash_mismatch' }])

    let output = ''
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string) => {
      output += chunk
      return true
    }) as typeof process.stdout.write
    try {
      await runCli(['ledger:verify'], { DATABASE_URL: t.databaseUrl, DATA_DIR: t.config.DATA_DIR })
    } finally {
      process.stdout.write = write
      process.exitCode = 0
    }
    expect(output).toContain('BROKEN')
    expect(output).toContain(`candidacy ${candidacy.id}: event 3 hash_mismatch`)
  })

  it('concurrent appends to one chain never fork it', async () => {
    const candidacy = await sourced()
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        t.app.db.transaction((tx) =>
          appendLedgerEvents(tx, candidacy.id, [
            {
              type: 'rectified',
              actor: { type: 'system' },
              occurredAt: t.clock.now(),
              evidence: { fields: `field${i}` },
            },
          ]),
        ),
      ),
    )
    const events = await queryRows<{ seq: number; prev_hash: string; hash: string }>(
      t.app.db,
      sql`select seq, prev_hash, hash from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
    )
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1))
    for (let i = 1; i < events.length; i++) expect(events[i]!.prev_hash).toBe(events[i - 1]!.hash)
  })

  it('withdrawals and introductions fired together never leave an introduction after a withdrawal', async () => {
    const candidates = await Promise.all(Array.from({ length: 12 }, () => sourced()))
    const links = []
    for (const candidacy of candidates) {
      const consent = await requestConsent(t, candidacy.id, vacancy.recruiter)
      await answerConsent(t, consent.consentUrl)
      const withdrawPath = `/w/${linkToken(consent.withdrawUrl)}`
      links.push({
        candidacy,
        withdrawPath,
        form: formTokenOf((await t.request({ method: 'GET', url: withdrawPath })).body),
      })
    }
    const results = await Promise.all(
      links.flatMap(({ candidacy, withdrawPath, form }) => [
        t.request({
          method: 'POST',
          url: withdrawPath,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `form=${encodeURIComponent(form)}`,
        }),
        t.request({
          method: 'POST',
          url: `/candidacies/${candidacy.id}/introduce`,
          as: vacancy.recruiter,
          payload: {},
        }),
      ]),
    )
    expect(
      results.map((response) => response.statusCode).filter((status) => ![200, 409].includes(status)),
    ).toEqual([])
    for (const [index, { candidacy }] of links.entries()) {
      const types = (
        await queryRows<{ type: string }>(
          t.app.db,
          sql`select type from ledger_events where candidacy_id = ${candidacy.id} order by seq`,
        )
      ).map((row) => row.type)
      const withdrawn = types.indexOf('consent_withdrawn')
      const introduced = types.indexOf('introduced')
      expect(withdrawn).toBeGreaterThan(0)
      // Either order can win; the recruiter's answer says which, and the ledger agrees with it:
      // 200 only with an introduction before the withdrawal, 409 with none at all.
      const introduceAnswer = results[index * 2 + 1]!.statusCode
      expect(introduced >= 0 ? 200 : 409).toBe(introduceAnswer)
      if (introduced >= 0) expect(introduced).toBeLessThan(withdrawn)
    }
    // (An earlier test broke one chain on purpose; none of these chains is broken.)
    const report = json<{ breaks: Array<{ candidacyId: string }> }>(
      await t.request({ method: 'GET', url: '/ledger/verify', as: vacancy.dpo }),
      200,
    )
    const ours = new Set(links.map(({ candidacy }) => candidacy.id))
    expect(report.breaks.filter((broken) => ours.has(broken.candidacyId))).toEqual([])
  })
})
