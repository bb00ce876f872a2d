import { sql } from 'drizzle-orm'
import { type Executor, queryRows } from '../../db/client'

/** One row per vacancy past its draft, with what Art. 30(1) asks of it, across the modules' tables. */
export function processingRows(db: Executor) {
  return queryRows<VacancyRow>(
    db,
    sql`select v.id, v.title, v.purpose, v.status, v.legal_basis, v.retention_days, v.dpia_reasons,
          cl.name as client_name, cl.country as client_country,
          pa.role as agreement_role, pa.version as agreement_version, pa.signed_at::text as agreement_signed_at,
          lia.approved_by::text as lia_approved_by, lia.approved_at::text as lia_approved_at,
          d.reference as dpia_reference, d.recorded_at::text as dpia_recorded_at,
          (select array_agg(distinct f.kind::text) from facts f join candidacies c on c.id = f.candidacy_id where c.vacancy_id = v.id) as fact_kinds,
          (select array_agg(distinct f.special_category::text) from facts f join candidacies c on c.id = f.candidacy_id
             where c.vacancy_id = v.id and f.special_category is not null) as special_categories,
          (select array_agg(distinct i.kind::text) from person_identifiers i join candidacies c on c.person_id = i.person_id where c.vacancy_id = v.id) as identifier_kinds,
          (select count(*)::int from candidacies c where c.vacancy_id = v.id and c.person_id is not null) as candidacies
        from vacancies v
        join clients cl on cl.id = v.client_id
        left join lateral (select * from processing_agreements a where a.client_id = cl.id order by a.signed_at desc limit 1) pa on true
        left join legitimate_interest_assessments lia on lia.vacancy_id = v.id
        left join dpias d on d.vacancy_id = v.id
        where v.status <> 'draft'
        order by cl.name, v.title, v.id`,
  )
}

export interface VacancyRow {
  id: string
  title: string
  purpose: string
  status: string
  legal_basis: string
  retention_days: number
  dpia_reasons: string[] | string
  client_name: string
  client_country: string
  agreement_role: string | null
  agreement_version: string | null
  agreement_signed_at: string | null
  lia_approved_by: string | null
  lia_approved_at: string | null
  dpia_reference: string | null
  dpia_recorded_at: string | null
  fact_kinds: string[] | string | null
  special_categories: string[] | string | null
  identifier_kinds: string[] | string | null
  candidacies: number
}

/** What a DPO watches, counted in one statement. */
export async function overviewCounts(db: Executor, now: Date, week: Date): Promise<Record<string, number>> {
  const [counts] = await queryRows<Record<string, number>>(
    db,
    sql`select
          (select count(*)::int from candidacies c join vacancies v on v.id = c.vacancy_id where c.person_id is not null and c.stage not in ('withdrawn','objected','erased') and v.legal_basis = 'legitimate_interest') as "openLegitimateInterest",
          (select count(*)::int from candidacies c join vacancies v on v.id = c.vacancy_id where c.person_id is not null and c.stage not in ('withdrawn','objected','erased') and v.legal_basis = 'consent') as "openConsent",
          (select count(*)::int from candidacies where consent_state = 'given' and (consent_expires_at is null or consent_expires_at > ${now.toISOString()}::timestamptz)) as "consentsLive",
          (select count(*)::int from candidacies where consent_state = 'withdrawn') as "consentsWithdrawn",
          (select count(*)::int from subject_requests where status in ('received','verified','in_progress')) as "requestsOpen",
          (select count(*)::int from subject_requests where status in ('received','verified','in_progress') and coalesce(extended_due_at, due_at) < ${now.toISOString()}::timestamptz) as "requestsOverdue",
          (select count(*)::int from candidacies where notice_status in ('pending','undelivered') and notice_due_at <= ${week.toISOString()}::timestamptz and stage not in ('withdrawn','objected','erased')) as "noticesDueThisWeek",
          (select count(*)::int from candidacies c join vacancies v on v.id = c.vacancy_id where c.person_id is not null and v.closed_at is not null
             and v.closed_at + make_interval(days => v.retention_days) <= ${week.toISOString()}::timestamptz) as "retentionDueThisWeek"`,
  )
  return counts!
}
