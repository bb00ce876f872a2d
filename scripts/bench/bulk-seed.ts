/**
 * Bulk seeds for the benchmarks: many candidacies written straight to the tables (sourcing them
 * one by one through the API would take longer than the measurement itself).
 */
import { randomUUID } from 'node:crypto'
import { hashLinkToken, issueFormToken, newLinkToken } from '../../src/lib/tokens'
import { rawPostgres } from './sql'

export interface SeededCandidacy {
  candidacyId: string
  personId: string
  email: string
  /** Set when `consentLinks` was asked for: an open consent request's link and its form token. */
  consent?: { token: string; form: string }
}

export async function seedCandidacies(
  databaseUrl: string,
  input: { vacancyId: string; userId: string; count: number; consentLinks?: { serverSecret: string } },
): Promise<SeededCandidacy[]> {
  const sql = rawPostgres(databaseUrl, { max: 4 })
  const now = new Date()
  const expiresAt = new Date(now.getTime() + 30 * 86_400_000)
  const textHash = 'f'.repeat(64)
  if (input.consentLinks) {
    await sql`insert into consent_texts (hash, language, body, created_at) values (${textHash}, 'en', 'Bench consent text', ${now}) on conflict do nothing`
  }
  const seeded: SeededCandidacy[] = []
  const batch = 1000
  for (let offset = 0; offset < input.count; offset += batch) {
    const people: Record<string, unknown>[] = []
    const emails: Record<string, unknown>[] = []
    const candidacies: Record<string, unknown>[] = []
    const tokens: Record<string, unknown>[] = []
    for (let i = offset; i < Math.min(input.count, offset + batch); i++) {
      const personId = randomUUID()
      const candidacyId = randomUUID()
      const email = `bench-${personId}@bench.test`
      const entry: SeededCandidacy = { candidacyId, personId, email }
      people.push({
        id: personId,
        full_name: `Bench Person ${i}`,
        language: 'en',
        created_at: now,
        updated_at: now,
      })
      emails.push({ person_id: personId, address: email, normalized: email, created_at: now })
      candidacies.push({
        id: candidacyId,
        person_id: personId,
        vacancy_id: input.vacancyId,
        source_type: 'linkedin',
        obtained_at: now,
        sourced_by: input.userId,
        notice_status: 'pending',
        notice_due_at: expiresAt,
        consent_state: input.consentLinks ? 'requested' : 'missing',
        consent_request_expires_at: input.consentLinks ? expiresAt : null,
        stage_changed_at: now,
        created_at: now,
        updated_at: now,
      })
      if (input.consentLinks) {
        const token = newLinkToken()
        entry.consent = {
          token,
          form: issueFormToken(input.consentLinks.serverSecret, token, 'consent', now),
        }
        tokens.push({
          token_hash: hashLinkToken(token),
          candidacy_id: candidacyId,
          action: 'consent',
          consent_text_hash: textHash,
          expires_at: expiresAt,
          created_at: now,
        })
      }
      seeded.push(entry)
    }
    await sql`insert into people ${sql(people)}`
    await sql`insert into person_emails ${sql(emails)}`
    await sql`insert into candidacies ${sql(candidacies)}`
    if (tokens.length > 0) await sql`insert into link_tokens ${sql(tokens)}`
  }
  await sql.end()
  return seeded
}

/** Sent messages for the given candidacies: what webhook events are about. */
export async function seedSentMessages(
  databaseUrl: string,
  candidacies: SeededCandidacy[],
): Promise<string[]> {
  const sql = rawPostgres(databaseUrl, { max: 2 })
  const now = new Date()
  const rows = candidacies.map((candidacy) => ({
    id: randomUUID(),
    candidacy_id: candidacy.candidacyId,
    template: 'art14_notice',
    language: 'en',
    status: 'sent',
    to_address: candidacy.email,
    queued_at: now,
    sent_at: now,
    status_at: now,
  }))
  for (let offset = 0; offset < rows.length; offset += 1000)
    await sql`insert into messages ${sql(rows.slice(offset, offset + 1000))}`
  await sql.end()
  return rows.map((row) => row.id)
}
