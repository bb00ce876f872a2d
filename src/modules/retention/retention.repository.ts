import { sql } from 'drizzle-orm'
import type { Executor } from '../../db/client'
import { queryRows } from '../../db/client'

export interface DueCandidacy {
  candidacyId: string
  personId: string
  reason: 'retention_expired' | 'withdrawn' | 'objected' | 'consent_declined' | 'consent_not_given'
}

/**
 * Candidacies whose data may no longer be kept (Art. 5(1)(e)): their vacancy closed longer ago
 * than its retention, or they have no live basis (consent declined or withdrawn, a consent
 * request that ran out, an objection). Computed from the vacancy, so a candidacy sourced while
 * the vacancy closed is not missed.
 */
export function dueCandidacies(db: Executor, now: Date): Promise<DueCandidacy[]> {
  const at = now.toISOString()
  return queryRows<DueCandidacy>(
    db,
    sql`select c.id as "candidacyId", c.person_id as "personId",
          case
            when v.closed_at is not null and v.closed_at + make_interval(days => v.retention_days) <= ${at}::timestamptz then 'retention_expired'
            when c.stage in ('withdrawn', 'objected') then c.stage::text
            when v.legal_basis = 'consent' and c.consent_state = 'declined' then 'consent_declined'
            else 'consent_not_given'
          end as reason
        from candidacies c
        join vacancies v on v.id = c.vacancy_id
        where c.person_id is not null
          and (
            (v.closed_at is not null and v.closed_at + make_interval(days => v.retention_days) <= ${at}::timestamptz)
            or c.stage in ('withdrawn', 'objected')
            or (v.legal_basis = 'consent' and (
                  c.consent_state in ('declined', 'withdrawn')
                  or (c.consent_state = 'requested' and c.consent_request_expires_at <= ${at}::timestamptz)
                  or (c.consent_state = 'given' and c.consent_expires_at <= ${at}::timestamptz)))
          )
        order by c.person_id, c.id`,
  )
}

export interface PersonStanding {
  personId: string
  candidacies: number
  openRequests: number
  talentPoolUntil: string | null
}

/** For each person: how many candidacies they have, open requests, and a live talent-pool consent. */
export function peopleStanding(db: Executor, personIds: string[], now: Date): Promise<PersonStanding[]> {
  if (personIds.length === 0) return Promise.resolve([])
  return queryRows<PersonStanding>(
    db,
    sql`select p.id as "personId",
          (select count(*)::int from candidacies c where c.person_id = p.id) as candidacies,
          (select count(*)::int from subject_requests r where r.person_id = p.id and r.status in ('received', 'verified', 'in_progress')) as "openRequests",
          (select max(t.expires_at)::text from talent_pool t where t.person_id = p.id and t.status = 'given' and t.expires_at > ${now.toISOString()}::timestamptz) as "talentPoolUntil"
        from people p where p.id in (${sql.join(
          personIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`,
  )
}
