/**
 * Bulk seed for the consent case: many candidacies, each with an open consent request and
 * its link, written straight to the tables (sourcing them one by one through the API would
 * take longer than the measurement).
 */
import { randomUUID } from 'node:crypto'
import postgres from 'postgres'
import { formToken, hashLinkToken, newLinkToken } from '../../src/lib/tokens'

export interface ConsentLink {
  token: string
  form: string
}

export async function seedConsentLinks(
  databaseUrl: string,
  input: { vacancyId: string; userId: string; serverSecret: string; count: number },
): Promise<ConsentLink[]> {
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} })
  const now = new Date()
  const expiresAt = new Date(now.getTime() + 30 * 86_400_000)
  const textHash = 'f'.repeat(64)
  await sql`insert into consent_texts (hash, language, body, created_at) values (${textHash}, 'en', 'Bench consent text', ${now}) on conflict do nothing`
  const links: ConsentLink[] = []
  const batch = 1000
  for (let offset = 0; offset < input.count; offset += batch) {
    const people: Record<string, unknown>[] = []
    const candidacies: Record<string, unknown>[] = []
    const tokens: Record<string, unknown>[] = []
    for (let i = offset; i < Math.min(input.count, offset + batch); i++) {
      const personId = randomUUID()
      const candidacyId = randomUUID()
      const token = newLinkToken()
      links.push({ token, form: formToken(input.serverSecret, token, 'consent') })
      people.push({
        id: personId,
        full_name: `Consent ${i}`,
        language: 'en',
        created_at: now,
        updated_at: now,
      })
      candidacies.push({
        id: candidacyId,
        person_id: personId,
        vacancy_id: input.vacancyId,
        source_type: 'linkedin',
        obtained_at: now,
        sourced_by: input.userId,
        notice_status: 'pending',
        consent_state: 'requested',
        consent_request_expires_at: expiresAt,
        stage_changed_at: now,
        created_at: now,
        updated_at: now,
      })
      tokens.push({
        token_hash: hashLinkToken(token),
        candidacy_id: candidacyId,
        action: 'consent',
        consent_text_hash: textHash,
        expires_at: expiresAt,
        created_at: now,
      })
    }
    await sql`insert into people ${sql(people)}`
    await sql`insert into candidacies ${sql(candidacies)}`
    await sql`insert into link_tokens ${sql(tokens)}`
  }
  await sql.end()
  return links
}
