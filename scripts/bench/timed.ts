/**
 * Work measured as a whole rather than as a request rate: building one big access package,
 * erasing many people, a retention run over many candidacies, the records export. Reported as
 * time, rows per second and memory; there is no baseline for these, only the figures.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { parseKeyring } from '../../src/lib/field-crypto'
import { createTemplates } from '../../src/lib/templates'
import { buildRecords, recordsCsv, recordsHtml } from '../../src/modules/records/records.service'
import { deletePersonData } from '../../src/modules/requests/erasure.repository'
import { buildAccessPackage } from '../../src/modules/requests/requests.package'
import { runRetention } from '../../src/modules/retention/retention.service'
import { seedCandidacies } from './bulk-seed'
import type { BenchContext } from './run'
import { seedVacancy } from './seed'
import { rawPostgres } from './sql'

export interface Timing {
  benchCase: string
  what: string
  seconds: number
  rows: number
  peakRssMb: number
}

async function measure(
  work: () => Promise<number>,
): Promise<{ seconds: number; rows: number; peakRssMb: number }> {
  global.gc?.()
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  const started = performance.now()
  try {
    const rows = await work()
    return {
      seconds: (performance.now() - started) / 1000,
      rows,
      peakRssMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20,
    }
  } finally {
    clearInterval(sampler)
  }
}

const config = (context: BenchContext) =>
  ({
    CONTROLLER_NAME: 'Candor Bench B.V.',
    CONTROLLER_CONTACT: 'privacy@bench.test',
    DPO_CONTACT: 'dpo@bench.test',
    SUPERVISORY_AUTHORITY: 'Autoriteit Persoonsgegevens',
    PROCESSORS: 'SparkPost|e-mail delivery|US|SCCs',
    SECURITY_MEASURES: 'TLS; field encryption; access log',
    CONSENT_LINK_TTL_DAYS: 30,
    FIELD_ENCRYPTION_KEYS: context.env.FIELD_ENCRYPTION_KEYS,
  }) as never

export async function accessPackageTiming(context: BenchContext): Promise<Timing> {
  const { vacancyId, recruiter } = await seedVacancy(context)
  const [seeded] = await seedCandidacies(context.databaseUrl, {
    vacancyId,
    userId: recruiter.userId,
    count: 1,
  })
  const sql = rawPostgres(context.databaseUrl, { max: 2 })
  const now = new Date()
  const messageId = randomUUID()
  await sql`insert into messages (id, candidacy_id, template, language, status, to_address, subject, body_text, queued_at, status_at)
            values (${messageId}, ${seeded!.candidacyId}, 'art14_notice', 'en', 'delivered', ${seeded!.email}, 'Notice', ${'Body text. '.repeat(100)}, ${now}, ${now})`
  // 5,000 ledger events (a valid chain is not needed to read it) and 5,000 provider events.
  await sql`insert into ledger_events (candidacy_id, vacancy_id, seq, type, actor_type, evidence, occurred_at, prev_hash, hash)
            select ${seeded!.candidacyId}, ${vacancyId}, n, 'rectified', 'system', '{"fields":"person.headline"}'::jsonb, ${now}, repeat('0', 64), repeat('f', 64)
            from generate_series(1, 5000) n`
  await sql`insert into tracking_events (event_id, kind, type, message_id, candidacy_id, occurred_at, received_at, payload)
            select 'bench-' || n, 'track_event', 'open', ${messageId}, ${seeded!.candidacyId}, ${now}, ${now},
                   jsonb_build_object('type', 'open', 'rcpt_to', ${seeded!.email}::text, 'ip_address', '192.0.2.1', 'user_agent', 'Mozilla/5.0')
            from generate_series(1, 5000) n`
  await sql.end()
  const deps = {
    config: config(context),
    keyring: parseKeyring(context.env.FIELD_ENCRYPTION_KEYS!),
    templates: createTemplates(),
  }
  const result = await measure(async () => {
    const answer = await buildAccessPackage(deps, context.database.db, {
      personId: seeded!.personId,
      language: 'en',
      generatedAt: now,
    })
    return answer.summary.ledgerEvents! + answer.summary.trackingEvents!
  })
  return {
    benchCase: 'access-package',
    what: 'one person, 10,000 ledger and provider events → JSON + HTML',
    ...result,
  }
}

export async function erasureTiming(context: BenchContext): Promise<Timing> {
  const { vacancyId, recruiter } = await seedVacancy(context)
  const people = await seedCandidacies(context.databaseUrl, {
    vacancyId,
    userId: recruiter.userId,
    count: 1000,
  })
  const result = await measure(async () => {
    for (const person of people) {
      await context.database.db.transaction((tx) =>
        deletePersonData(tx, {
          personId: person.personId,
          candidacyIds: [person.candidacyId],
          addresses: [person.email],
          keepMessageIds: [],
          at: new Date(),
        }),
      )
    }
    return people.length
  })
  return { benchCase: 'erasure', what: '1,000 people erased everywhere (one transaction each)', ...result }
}

export async function retentionTiming(context: BenchContext): Promise<Timing> {
  const due = await seedVacancy(context)
  const open = await seedVacancy(context)
  await seedCandidacies(context.databaseUrl, {
    vacancyId: due.vacancyId,
    userId: due.recruiter.userId,
    count: 10_000,
  })
  await seedCandidacies(context.databaseUrl, {
    vacancyId: open.vacancyId,
    userId: open.recruiter.userId,
    count: 90_000,
  })
  const sql = rawPostgres(context.databaseUrl, { max: 1 })
  await sql`update vacancies set status = 'closed', closed_at = now() - interval '60 days' where id = ${due.vacancyId}`
  await sql.end()
  const queues = { outreach: { remove: async () => 0 } } as never
  const result = await measure(async () => {
    const run = await runRetention({ db: context.database.db, clock: { now: () => new Date() }, queues })
    return run.erasedCandidacies
  })
  return { benchCase: 'retention', what: '100,000 candidacies, 10% due → erased', ...result }
}

export async function recordsTiming(context: BenchContext): Promise<Timing> {
  const { recruiter } = await seedVacancy(context)
  const sql = rawPostgres(context.databaseUrl, { max: 2 })
  const now = new Date()
  const clients = Array.from({ length: 100 }, (_, i) => ({
    id: randomUUID(),
    name: `Client ${i}`,
    country: i % 10 === 0 ? 'US' : 'NL',
    created_at: now,
  }))
  await sql`insert into clients ${sql(clients)}`
  await sql`insert into processing_agreements ${sql(clients.map((client, i) => ({ client_id: client.id, version: '1', signed_at: now, role: i % 3 === 0 ? 'processor' : 'controller', document_ref: 'dms', recorded_by: recruiter.userId, recorded_at: now })))}`
  const vacancies = Array.from({ length: 1000 }, (_, i) => ({
    id: randomUUID(),
    client_id: clients[i % clients.length]!.id,
    title: `Vacancy ${i} ${randomBytes(2).toString('hex')}`,
    purpose: 'Recruiting for one role at the client, described for candidates.',
    language: 'en',
    legal_basis: i % 2 === 0 ? 'legitimate_interest' : 'consent',
    retention_days: 28,
    status: 'open',
    created_by: recruiter.userId,
    created_at: now,
    updated_at: now,
  }))
  await sql`insert into vacancies ${sql(vacancies)}`
  await sql.end()
  const deps = { config: config(context), templates: createTemplates() }
  const result = await measure(async () => {
    const record = await buildRecords(deps, context.database.db, now)
    const csv = recordsCsv(record)
    const html = recordsHtml(deps, record)
    if (csv.length === 0 || html.length === 0) throw new Error('empty export')
    return record.purposes.length
  })
  return {
    benchCase: 'records',
    what: 'records of processing for 1,000+ vacancies → JSON, CSV and HTML',
    ...result,
  }
}

export function printTimings(timings: Timing[]): void {
  if (timings.length === 0) return
  const lines = ['| case | work | seconds | rows/s | peak RSS MB |', '|---|---|---:|---:|---:|']
  for (const timing of timings) {
    lines.push(
      `| ${timing.benchCase} | ${timing.what} | ${timing.seconds.toFixed(2)} | ${Math.round(timing.rows / timing.seconds).toLocaleString('en-US')} | ${Math.round(timing.peakRssMb)} |`,
    )
  }
  process.stdout.write(`${lines.join('\n')}\n\n`)
}
