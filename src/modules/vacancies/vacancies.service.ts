import type { Executor } from '../../db/client'
import type { Clock } from '../../lib/clock'
import type { Language } from '../../lib/languages'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import { currentAgreement, findClient } from '../clients/clients.service'
import {
  approveAssessment,
  findVacancyDetail,
  insertVacancy,
  listVacancyDetails,
  lockVacancy,
  startRetentionClocks,
  updateVacancy,
  upsertAssessment,
  upsertDpia,
  type VacancyDetail,
  type VacancyFilter,
  type VacancyRow,
} from './vacancies.repository'
import type { DpiaReason, LegalBasis, VacancyStatus } from './vacancies.tables'

// The vacancy as sourcing and mail read it: through this service, never the repository.
export { findVacancyDetail, lockSourcingVacancy, type VacancyDetail } from './vacancies.repository'

export interface VacancyDeps {
  db: Executor
  clock: Clock
}

export interface NewVacancyInput {
  clientId: string
  title: string
  purpose: string
  language: Language
  legalBasis: LegalBasis
  retentionDays: number
  processesSpecialCategories: boolean
  profiling: boolean
}

export interface VacancyChanges {
  title?: string | undefined
  purpose?: string | undefined
  language?: Language | undefined
  legalBasis?: LegalBasis | undefined
  retentionDays?: number | undefined
  profiling?: boolean | undefined
  status?: VacancyStatus | undefined
}

/** Art. 35(3): profiling or special categories make a DPIA mandatory. */
export function dpiaReasonsFor(input: {
  processesSpecialCategories: boolean
  profiling: boolean
}): DpiaReason[] {
  return [
    ...(input.processesSpecialCategories ? (['special_categories'] as const) : []),
    ...(input.profiling ? (['profiling'] as const) : []),
  ]
}

export async function createVacancy(
  { db, clock }: VacancyDeps,
  actor: Principal,
  input: NewVacancyInput,
): Promise<VacancyDetail> {
  if (!(await findClient(db, input.clientId))) throw new AppError('client.not_found')
  const now = clock.now()
  const { processesSpecialCategories, ...fields } = input
  const vacancy = await insertVacancy(db, {
    ...fields,
    dpiaReasons: dpiaReasonsFor(input),
    status: 'draft',
    createdBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  })
  return { ...vacancy, assessment: null, dpia: null }
}

export async function getVacancy(db: Executor, principal: Principal, id: string): Promise<VacancyDetail> {
  const vacancy = await findVacancyDetail(db, id, { clientId: principal.clientId })
  if (!vacancy) throw new AppError('vacancy.not_found')
  return vacancy
}

export function getVacancies(
  db: Executor,
  principal: Principal,
  filter: VacancyFilter,
): Promise<VacancyDetail[]> {
  // A client user's scope overrides whatever client it asks for.
  return listVacancyDetails(db, { ...filter, clientId: principal.clientId ?? filter.clientId })
}

const PURPOSE_FIELDS = ['purpose', 'legalBasis', 'language', 'profiling'] as const

/** Why a vacancy may not open yet, first reason first (Art. 28, Art. 6(1)(f), Art. 35). */
async function openingRefusal(db: Executor, vacancy: VacancyDetail): Promise<AppError | undefined> {
  if (!(await currentAgreement(db, vacancy.clientId))) {
    return new AppError(
      'vacancy.agreement_required',
      'Record the processing agreement with the client first.',
    )
  }
  if (vacancy.legalBasis === 'legitimate_interest' && !vacancy.assessment?.approvedAt) {
    return new AppError(
      'vacancy.assessment_required',
      vacancy.assessment
        ? 'The legitimate-interest assessment awaits approval by a DPO or admin.'
        : 'Record a legitimate-interest assessment and have it approved by a DPO or admin.',
    )
  }
  if (vacancy.dpiaReasons.length > 0 && !vacancy.dpia) {
    return new AppError(
      'vacancy.dpia_required',
      `A DPIA is required because the vacancy involves: ${vacancy.dpiaReasons.join(', ')}.`,
    )
  }
  return undefined
}

const transitions: Record<VacancyStatus, VacancyStatus[]> = { draft: ['open'], open: ['closed'], closed: [] }

export async function changeVacancy(
  { db, clock }: VacancyDeps,
  principal: Principal,
  id: string,
  changes: VacancyChanges,
): Promise<VacancyDetail> {
  return db.transaction(async (tx) => {
    const locked = await lockVacancy(tx, id)
    if (!locked) throw new AppError('vacancy.not_found')
    const purposeChanged = PURPOSE_FIELDS.some(
      (field) => changes[field] !== undefined && changes[field] !== locked[field],
    )
    // Purpose binding (Art. 5(1)(b)): what candidates were told cannot change under them.
    if (purposeChanged && locked.status !== 'draft') throw new AppError('vacancy.not_editable')
    if (changes.retentionDays !== undefined && locked.status === 'closed') {
      throw new AppError('vacancy.not_editable', 'Retention is fixed once the vacancy has closed.')
    }
    const now = clock.now()
    const update: Partial<VacancyRow> = { updatedAt: now }
    for (const field of [
      'title',
      'purpose',
      'language',
      'legalBasis',
      'retentionDays',
      'profiling',
    ] as const) {
      if (changes[field] !== undefined) Object.assign(update, { [field]: changes[field] })
    }
    if (changes.profiling !== undefined) {
      update.dpiaReasons = dpiaReasonsFor({
        processesSpecialCategories: locked.dpiaReasons.includes('special_categories'),
        profiling: changes.profiling,
      })
    }
    if (changes.status !== undefined && changes.status !== locked.status) {
      if (!transitions[locked.status].includes(changes.status)) {
        throw new AppError(
          'vacancy.invalid_transition',
          `A ${locked.status} vacancy cannot become ${changes.status}.`,
        )
      }
      if (changes.status === 'open') {
        const pending = (await findVacancyDetail(tx, id))!
        const refusal = await openingRefusal(tx, { ...pending, ...update })
        if (refusal) throw refusal
        update.openedAt = now
      }
      if (changes.status === 'closed') update.closedAt = now
      update.status = changes.status
    }
    await updateVacancy(tx, id, update)
    // Closing starts every candidacy's retention clock, and consent for the vacancy ends with it.
    if (update.status === 'closed') {
      await startRetentionClocks(tx, id, now, update.retentionDays ?? locked.retentionDays)
    }
    return getVacancy(tx, principal, id)
  })
}

async function lockForAssessment(db: Executor, id: string): Promise<VacancyRow> {
  const vacancy = await lockVacancy(db, id)
  if (!vacancy) throw new AppError('vacancy.not_found')
  if (vacancy.legalBasis !== 'legitimate_interest') throw new AppError('vacancy.assessment_not_applicable')
  return vacancy
}

export async function recordAssessment(
  { db, clock }: VacancyDeps,
  actor: Principal,
  vacancyId: string,
  input: { purposeTest: string; necessityTest: string; balancingTest: string },
): Promise<VacancyDetail> {
  return db.transaction(async (tx) => {
    const vacancy = await lockForAssessment(tx, vacancyId)
    if (vacancy.status !== 'draft') {
      throw new AppError('vacancy.not_editable', 'The assessment of an opened vacancy cannot be revised.')
    }
    await upsertAssessment(tx, { vacancyId, ...input, recordedBy: actor.userId, recordedAt: clock.now() })
    return getVacancy(tx, actor, vacancyId)
  })
}

export async function approveVacancyAssessment(
  { db, clock }: VacancyDeps,
  actor: Principal,
  vacancyId: string,
): Promise<VacancyDetail> {
  return db.transaction(async (tx) => {
    await lockForAssessment(tx, vacancyId)
    if (!(await approveAssessment(tx, vacancyId, actor.userId, clock.now()))) {
      throw new AppError('vacancy.assessment_missing')
    }
    return getVacancy(tx, actor, vacancyId)
  })
}

export async function recordDpia(
  { db, clock }: VacancyDeps,
  actor: Principal,
  vacancyId: string,
  input: { reference: string; summary: string },
): Promise<VacancyDetail> {
  return db.transaction(async (tx) => {
    if (!(await lockVacancy(tx, vacancyId))) throw new AppError('vacancy.not_found')
    await upsertDpia(tx, { vacancyId, ...input, recordedBy: actor.userId, recordedAt: clock.now() })
    return getVacancy(tx, actor, vacancyId)
  })
}
