/**
 * Baseline for a consent POST: the same database work — token lookup, candidacy lock, ledger
 * append with its hash, state update — with postgres.js, one transaction per consent.
 */
import { hashLinkToken } from '../../../src/lib/tokens'
import { chainHash } from '../../../src/modules/ledger/ledger.chain'
import type { SeededCandidacy } from '../bulk-seed'
import { type LoadResult, measureLoop, POOL_SIZE } from '../harness'
import { rawPostgres } from '../sql'

export async function rawConsent(
  databaseUrl: string,
  links: SeededCandidacy[],
  warmUp: boolean,
): Promise<LoadResult> {
  const sql = rawPostgres(databaseUrl, { max: POOL_SIZE })
  let next = 0
  const run = (seconds?: number) =>
    measureLoop(
      async () => {
        const link = links[next++]?.consent
        if (!link) throw new Error('out of consent links')
        await sql.begin(async (tx) => {
          const [row] = await tx`
            select l.id as link_id, l.consent_text_hash, c.id, c.vacancy_id, c.ledger_seq, c.ledger_head
            from link_tokens l join candidacies c on c.id = l.candidacy_id
            where l.token_hash = ${hashLinkToken(link.token)} for update of c`
          if (!row) throw new Error('unknown link')
          const now = new Date()
          const event = {
            candidacyId: row.id,
            vacancyId: row.vacancy_id,
            seq: row.ledger_seq + 1,
            type: 'consent_given' as const,
            legalBasis: 'consent' as const,
            actorType: 'data_subject' as const,
            actorId: null,
            evidence: { consentText: row.consent_text_hash, consentLink: row.link_id },
            occurredAt: now,
          }
          const hash = chainHash(row.ledger_head, event)
          await Promise.all([
            tx`insert into ledger_events (candidacy_id, vacancy_id, seq, type, legal_basis, actor_type, evidence, occurred_at, prev_hash, hash)
               values (${row.id}, ${row.vacancy_id}, ${event.seq}, 'consent_given', 'consent', 'data_subject', ${tx.json(event.evidence)}, ${now}, ${row.ledger_head}, ${hash})`,
            tx`update candidacies set consent_state = 'given', ledger_seq = ${event.seq}, ledger_head = ${hash}, updated_at = ${now} where id = ${row.id}`,
          ])
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
