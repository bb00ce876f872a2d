/**
 * Baseline for sourcing: the rows one sourced candidate leaves (person, address, candidacy,
 * fact, ledger event) inserted directly with postgres.js, one transaction per candidate.
 */
import { randomUUID } from 'node:crypto'
import { measureLoop, POOL_SIZE } from '../harness'
import { rawPostgres } from '../sql'

export async function rawSourcing(databaseUrl: string, vacancyId: string, userId: string, warmUp: boolean) {
  const sql = rawPostgres(databaseUrl, { max: POOL_SIZE })
  const run = (seconds?: number) =>
    measureLoop(
      async (i) => {
        const personId = randomUUID()
        const candidacyId = randomUUID()
        const now = new Date()
        await sql.begin(async (tx) => {
          await tx`insert into people (id, full_name, language, created_at, updated_at) values (${personId}, ${`Raw ${i}`}, 'en', ${now}, ${now})`
          await tx`insert into person_emails (person_id, address, normalized, created_at) values (${personId}, ${`raw-${personId}@bench.test`}, ${`raw-${personId}@bench.test`}, ${now})`
          await tx`insert into candidacies (id, person_id, vacancy_id, source_type, source_url, obtained_at, sourced_by, notice_status, notice_due_at, stage_changed_at, ledger_seq, ledger_head, created_at, updated_at)
                   values (${candidacyId}, ${personId}, ${vacancyId}, 'linkedin', 'https://www.linkedin.com/in/x', ${now}, ${userId}, 'pending', ${now}, ${now}, 1, ${'f'.repeat(64)}, ${now}, ${now})`
          await tx`insert into facts (candidacy_id, kind, value, source_type, source_url, collected_at, collected_by, created_at, updated_at)
                   values (${candidacyId}, 'skill', 'TypeScript', 'github', 'https://github.com/x', ${now}, ${userId}, ${now}, ${now})`
          await tx`insert into ledger_events (candidacy_id, vacancy_id, seq, type, legal_basis, actor_type, actor_id, evidence, occurred_at, prev_hash, hash)
                   values (${candidacyId}, ${vacancyId}, 1, 'basis_asserted', 'legitimate_interest', 'user', ${userId}, ${sql.json({ assessmentOf: vacancyId })}, ${now}, ${'0'.repeat(64)}, ${'f'.repeat(64)})`
        })
      },
      seconds === undefined ? {} : { seconds },
    )
  try {
    if (warmUp) await run(3)
    return await run()
  } finally {
    await sql.end()
  }
}
