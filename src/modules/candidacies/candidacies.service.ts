import { randomUUID } from 'node:crypto'
import type { Executor } from '../../db/client'
import { oneMonthDeadline } from '../../lib/deadlines'
import { normaliseEmail } from '../../lib/email-address'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import { logAccess } from '../audit/audit.service'
import { insertLedgerEvents } from '../ledger/ledger.repository'
import { type Actor, appendLedgerEvents, genesisEvents, type LedgerEntry } from '../ledger/ledger.service'
import {
  deleteEmailsExcept,
  deleteIdentifier,
  emailsHeldByOthers,
  findPerson,
  findPersonIdsByEmails,
  insertEmails,
  insertPerson,
  listEmails,
  listIdentifiers,
  lockPerson,
  type PersonEmailRow,
  type PersonRow,
  sharePerson,
  updatePerson,
  upsertIdentifiers,
} from '../people/people.repository'
import { identifierBinding } from '../people/people.service'
import type { IdentifierKind } from '../people/people.tables'
import { isSuppressed } from '../suppression/suppression.service'
import { findVacancyDetail, lockSourcingVacancy } from '../vacancies/vacancies.repository'
import type { Language } from '../vacancies/vacancies.tables'
import {
  type CandidacyContext,
  type CandidacyRow,
  candidacyExists,
  type FactRow,
  findCandidacyContext,
  flagVacancyForDpia,
  insertCandidacy,
  insertFacts,
  insertStageChange,
  listFacts,
  listVacancyCandidacies,
  lockCandidacyContext,
  lockFact,
  lockVacancyOfCandidacy,
  type NewFact,
  updateCandidacy,
  updateFact,
} from './candidacies.repository'
import type {
  ConsentState,
  FactKind,
  SourceType,
  SpecialBasis,
  SpecialCategory,
  Stage,
} from './candidacies.tables'

type SourcingDeps = Pick<Services, 'db' | 'clock' | 'config' | 'keyring'>

export interface SourceInput {
  type: SourceType
  url?: string | undefined
  collectedAt: Date
}

export interface FactInput {
  kind: FactKind
  value: string
  source: SourceInput
  special?: { category: SpecialCategory; basis?: SpecialBasis | undefined } | undefined
}

export interface SourcingInput {
  person: {
    fullName: string
    emails: string[]
    phone?: string | undefined
    location?: string | undefined
    headline?: string | undefined
    language?: Language | undefined
  }
  source: SourceInput
  facts: FactInput[]
  identifiers: Array<{ kind: IdentifierKind; value: string }>
}

/** Stages that end a candidacy: nothing more is done with it (only erasure and proof remain). */
export const ENDED_STAGES: readonly Stage[] = ['withdrawn', 'objected', 'erased']

/** Consent that may be relied on now (Art. 7): given and not expired. */
export function hasLiveConsent(
  candidacy: Pick<CandidacyRow, 'consentState' | 'consentExpiresAt'>,
  now: Date,
): boolean {
  return (
    candidacy.consentState === 'given' && (!candidacy.consentExpiresAt || candidacy.consentExpiresAt > now)
  )
}

/** What a list shows and filters on: an unanswered request past its link's expiry counts as expired. */
export function effectiveConsentState(
  candidacy: Pick<CandidacyRow, 'consentState' | 'consentRequestExpiresAt' | 'consentExpiresAt'>,
  now: Date,
): ConsentState {
  if (
    candidacy.consentState === 'requested' &&
    candidacy.consentRequestExpiresAt &&
    candidacy.consentRequestExpiresAt <= now
  ) {
    return 'expired'
  }
  if (candidacy.consentState === 'given' && candidacy.consentExpiresAt && candidacy.consentExpiresAt <= now)
    return 'expired'
  return candidacy.consentState
}

/** Art. 9: a special-category fact needs explicit consent (live) or a source where the person made it public. */
function specialCategoryRefusal(fact: FactInput, consentLive: boolean): AppError | undefined {
  if (!fact.special) return undefined
  const { basis, category } = fact.special
  if (!basis) return new AppError('fact.special_category_refused', `A ${category} fact needs a basis.`)
  if (basis === 'explicit_consent' && !consentLive) {
    return new AppError(
      'fact.special_category_refused',
      'There is no live explicit consent on this candidacy.',
    )
  }
  if (basis === 'manifestly_public' && !fact.source.url) {
    return new AppError('fact.special_category_refused', 'Give the URL where the person made it public.')
  }
  return undefined
}

function factRows(candidacyId: string, inputs: FactInput[], actor: Principal, now: Date): NewFact[] {
  return inputs.map((fact) => ({
    candidacyId,
    kind: fact.kind,
    value: fact.value,
    specialCategory: fact.special?.category ?? null,
    specialBasis: fact.special?.basis ?? null,
    sourceType: fact.source.type,
    sourceUrl: fact.source.url ?? null,
    collectedAt: fact.source.collectedAt,
    collectedBy: actor.userId,
    createdAt: now,
    updatedAt: now,
  }))
}

function identifierRows(
  deps: SourcingDeps,
  personId: string,
  identifiers: SourcingInput['identifiers'],
  now: Date,
) {
  return identifiers.map(({ kind, value }) => ({
    personId,
    kind,
    ...deps.keyring.encrypt(value, identifierBinding(personId, kind)),
    updatedAt: now,
  }))
}

/** The person found in a sourcing's first round was deleted (erased, retention) before its second. */
class PersonVanished extends Error {}

const isUniqueViolation = (error: unknown) =>
  (error as { code?: string })?.code === '23505' ||
  (error as { cause?: { code?: string } })?.cause?.code === '23505'

/**
 * Sources a person into an open vacancy (Art. 5(1)(b)): the person exists only through this
 * candidacy. Refusals happen before anything is written, and all writes share one transaction.
 * Returns what was stored, so the answer needs no second read.
 */
export async function sourceCandidate(
  deps: SourcingDeps,
  actor: Principal,
  vacancyId: string,
  input: SourcingInput,
): Promise<CandidacyDetail> {
  const normalized = [...new Set(input.person.emails.map(normaliseEmail))]
  if (
    input.source.collectedAt > deps.clock.now() ||
    input.facts.some((fact) => fact.source.collectedAt > deps.clock.now())
  ) {
    throw new AppError('request.invalid', 'collectedAt cannot be in the future', {
      errors: [{ field: 'body.source.collectedAt', message: 'cannot be in the future' }],
    })
  }
  const attempt = () =>
    deps.db.transaction(async (tx): Promise<CandidacyDetail> => {
      // One round trip, the transaction's first. Art. 17/21: an erased or objecting person is
      // never sourced again; nothing of this request is kept (the transaction rolls back).
      const [suppressed, vacancy, existing] = await Promise.all([
        isSuppressed(tx, deps.config.SERVER_SECRET!, normalized),
        lockSourcingVacancy(tx, vacancyId, { willUpdate: input.facts.some((fact) => fact.special) }),
        findPersonIdsByEmails(tx, normalized),
      ])
      if (suppressed) throw new AppError('sourcing.suppressed')
      if (!vacancy) throw new AppError('vacancy.not_found')
      if (vacancy.status !== 'open')
        throw new AppError('vacancy.not_open', `The vacancy is ${vacancy.status}.`)
      if (vacancy.dpiaReasons.length > 0 && !vacancy.dpiaRecorded) {
        throw new AppError(
          'vacancy.dpia_required',
          'Record the DPIA before sourcing more candidates into this vacancy.',
        )
      }
      if (
        vacancy.legalBasis === 'consent' &&
        (input.facts.length > 0 ||
          input.person.location ||
          input.person.headline ||
          input.identifiers.length > 0)
      ) {
        throw new AppError(
          'candidacy.facts_need_consent',
          'Store the name, e-mail address and source now; add facts once the person has consented.',
        )
      }
      for (const fact of input.facts) {
        const refusal = specialCategoryRefusal(fact, false)
        if (refusal) throw refusal
      }
      if (existing.length > 1) throw new AppError('person.ambiguous')

      const now = deps.clock.now()
      const candidacyId = randomUUID()
      let person: PersonRow
      let knownEmails: PersonEmailRow[] = []
      if (existing[0]) {
        // The person's lock leaves first: a restriction or objection completing meanwhile is
        // waited for, and the statements after it read what that committed, suppression included.
        const [found, duplicate, emails, suppressedNow] = await Promise.all([
          sharePerson(tx, existing[0]),
          candidacyExists(tx, existing[0], vacancyId),
          listEmails(tx, [existing[0]]),
          isSuppressed(tx, deps.config.SERVER_SECRET!, normalized),
        ])
        if (suppressedNow) throw new AppError('sourcing.suppressed')
        // Art. 18(2): a restricted person's data is only stored, so not put to a new vacancy.
        if (found?.restrictedAt) throw new AppError('person.restricted')
        if (duplicate) throw new AppError('candidacy.exists', `See candidacy ${duplicate}.`)
        // Gone since the first round (erased): this sourcing starts again as of a new person.
        if (!found) throw new PersonVanished()
        person = found
        knownEmails = emails
      } else {
        person = {
          id: randomUUID(),
          fullName: input.person.fullName,
          phone: input.person.phone ?? null,
          location: input.person.location ?? null,
          headline: input.person.headline ?? null,
          language: input.person.language ?? vacancy.language,
          restrictedAt: null,
          createdAt: now,
          updatedAt: now,
        }
      }
      const personId = person.id
      const newEmails = input.person.emails
        .map((address) => ({
          personId,
          address: address.trim(),
          normalized: normaliseEmail(address),
          createdAt: now,
        }))
        .filter(
          (email, index, all) => all.findIndex((other) => other.normalized === email.normalized) === index,
        )
        .filter((email) => !knownEmails.some((known) => known.normalized === email.normalized))

      // Art. 6(1)(f): the basis is asserted at collection, naming the approved assessment.
      const entries: LedgerEntry[] =
        vacancy.legalBasis === 'legitimate_interest'
          ? [
              {
                type: 'basis_asserted',
                actor: { type: 'user', userId: actor.userId },
                occurredAt: now,
                legalBasis: 'legitimate_interest',
                evidence: {
                  assessmentOf: vacancyId,
                  assessmentApprovedBy: vacancy.assessmentApprovedBy,
                  assessmentApprovedAt: vacancy.assessmentApprovedAt?.toISOString() ?? null,
                },
              },
            ]
          : []
      const chain = genesisEvents(candidacyId, vacancyId, entries)
      // Art. 14(3)(a): data not obtained from the person must be explained within one month.
      const fromPerson = input.source.type === 'application'
      // Issued together: postgres.js pipelines them on the transaction's connection.
      const [, addedEmails, candidacy, , facts] = await Promise.all([
        existing[0] ? undefined : insertPerson(tx, person),
        insertEmails(tx, newEmails),
        insertCandidacy(tx, {
          id: candidacyId,
          personId,
          vacancyId,
          stage: 'sourced',
          sourceType: input.source.type,
          sourceUrl: input.source.url ?? null,
          obtainedAt: input.source.collectedAt,
          sourcedBy: actor.userId,
          noticeStatus: fromPerson ? 'not_required' : 'pending',
          noticeDueAt: fromPerson
            ? null
            : oneMonthDeadline(input.source.collectedAt, deps.config.JURISDICTION).dueAt,
          stageChangedAt: now,
          stageChangedBy: actor.userId,
          ledgerSeq: chain.seq,
          ledgerHead: chain.hash,
          createdAt: now,
          updatedAt: now,
        }),
        insertLedgerEvents(tx, chain.rows),
        insertFacts(tx, factRows(candidacyId, input.facts, actor, now)),
        input.identifiers.length > 0
          ? upsertIdentifiers(tx, identifierRows(deps, personId, input.identifiers, now))
          : undefined,
        input.facts.some((fact) => fact.special)
          ? flagVacancyForDpia(tx, vacancyId, 'special_categories')
          : undefined,
      ])
      return {
        context: { candidacy, vacancy },
        person,
        emails: [...knownEmails, ...addedEmails],
        facts,
        identifiers: input.identifiers.map(({ kind, value }) => ({ kind, value })),
      }
    })

  try {
    return await attempt()
  } catch (error) {
    // Two recruiters sourcing the same new person at once: the loser finds the winner's person.
    // A person deleted meanwhile: the sourcing is one of a new person.
    if (isUniqueViolation(error) || error instanceof PersonVanished) return attempt()
    throw error
  }
}

export interface CandidacyDetail {
  context: CandidacyContext
  person: PersonRow | null
  emails: PersonEmailRow[]
  facts: FactRow[]
  identifiers?: Array<{ kind: IdentifierKind; value: string }>
}

/** Staff read the whole candidacy; a client user only what was introduced to its own vacancy (else 404). */
export function readCandidacy(
  deps: SourcingDeps,
  principal: Principal,
  candidacyId: string,
  route: string,
): Promise<CandidacyDetail> {
  return deps.db.transaction((tx) => readCandidacyIn(tx, deps, principal, candidacyId, route))
}

/**
 * The same, in the caller's transaction: a change answers with the candidacy as it committed it.
 * Every read of a person's data is written to the access log in the same transaction.
 */
export async function readCandidacyIn(
  tx: Executor,
  deps: Pick<Services, 'clock' | 'keyring'>,
  principal: Principal,
  candidacyId: string,
  route: string,
): Promise<CandidacyDetail> {
  const context = await findCandidacyContext(tx, candidacyId)
  const visibleToClient = (candidacy: CandidacyRow) =>
    candidacy.introducedAt !== null && !ENDED_STAGES.includes(candidacy.stage)
  if (
    !context ||
    (principal.role === 'client' &&
      (context.vacancy.clientId !== principal.clientId || !visibleToClient(context.candidacy)))
  ) {
    throw new AppError('candidacy.not_found')
  }
  const personId = context.candidacy.personId
  const [person, emails, facts, identifiers] = await Promise.all([
    personId ? findPerson(tx, personId) : undefined,
    personId ? listEmails(tx, [personId]) : [],
    listFacts(tx, [candidacyId]),
    personId && principal.role !== 'client' ? listIdentifiers(tx, personId) : undefined,
  ])
  const detail: CandidacyDetail = { context, person: person ?? null, emails, facts }
  if (personId && identifiers) {
    detail.identifiers = identifiers.map((row) => ({
      kind: row.kind,
      value: deps.keyring.decrypt(row, identifierBinding(personId, row.kind)),
    }))
  }
  if (personId)
    await logAccess({ db: tx, clock: deps.clock }, principal, 'read', route, [{ personId, candidacyId }])
  return detail
}

export async function listCandidacies(
  deps: SourcingDeps,
  principal: Principal,
  vacancyId: string,
  filter: {
    stage?: Stage | undefined
    consentState?: ConsentState | undefined
    limit: number
    offset: number
  },
  route: string,
) {
  const vacancy = await findVacancyDetail(deps.db, vacancyId, { clientId: principal.clientId })
  if (!vacancy) throw new AppError('vacancy.not_found')
  const items = await listVacancyCandidacies(deps.db, {
    vacancyId,
    ...filter,
    now: deps.clock.now(),
    introducedOnly: principal.role === 'client',
  })
  const seen = items.flatMap((item) =>
    item.person ? [{ personId: item.person.id, candidacyId: item.candidacy.id }] : [],
  )
  await logAccess(deps, principal, 'list', route, seen)
  return items
}

/** Locks a candidacy for a change by staff: it must exist and not have ended. */
export async function lockLiveCandidacy(tx: Executor, candidacyId: string): Promise<CandidacyContext> {
  const context = await lockCandidacyContext(tx, candidacyId)
  if (!context) throw new AppError('candidacy.not_found')
  if (ENDED_STAGES.includes(context.candidacy.stage)) throw new AppError('candidacy.ended')
  return context
}

/** Art. 18: a restricted person's data is stored only. */
async function assertNotRestricted(tx: Executor, personId: string | null): Promise<PersonRow> {
  const person = personId ? await lockPerson(tx, personId) : undefined
  if (!person) throw new AppError('candidacy.ended')
  if (person.restrictedAt) throw new AppError('person.restricted')
  return person
}

export async function addFacts(
  deps: SourcingDeps,
  actor: Principal,
  candidacyId: string,
  inputs: FactInput[],
  route: string,
): Promise<CandidacyDetail> {
  const flagsVacancy = inputs.some((fact) => fact.special)
  return deps.db.transaction(async (tx) => {
    // A special-category fact flags the vacancy: its lock comes before the candidacy's.
    if (flagsVacancy) await lockVacancyOfCandidacy(tx, candidacyId)
    const { candidacy, vacancy } = await lockLiveCandidacy(tx, candidacyId)
    if (vacancy.status !== 'open') throw new AppError('vacancy.not_open', `The vacancy is ${vacancy.status}.`)
    await assertNotRestricted(tx, candidacy.personId)
    const now = deps.clock.now()
    const consentLive = hasLiveConsent(candidacy, now)
    if (vacancy.legalBasis === 'consent' && !consentLive) throw new AppError('candidacy.facts_need_consent')
    for (const fact of inputs) {
      const refusal = specialCategoryRefusal(fact, consentLive)
      if (refusal) throw refusal
    }
    await insertFacts(tx, factRows(candidacyId, inputs, actor, now))
    if (flagsVacancy) await flagVacancyForDpia(tx, vacancy.id, 'special_categories')
    await updateCandidacy(tx, candidacyId, { updatedAt: now })
    return readCandidacyIn(tx, deps, actor, candidacyId, route)
  })
}

const rectified = (actor: Principal, now: Date, fields: string[]): LedgerEntry => ({
  type: 'rectified',
  actor: { type: 'user', userId: actor.userId },
  occurredAt: now,
  // Art. 16: that it happened and which fields — never the old or new values.
  evidence: { fields: [...fields].sort().join(',') },
})

/** Art. 16 rectification of a fact: overwritten in place, the old value kept nowhere. */
export async function rectifyFact(
  deps: SourcingDeps,
  actor: Principal,
  candidacyId: string,
  factId: string,
  changes: { kind?: FactKind | undefined; value?: string | undefined; source?: SourceInput | undefined },
  route: string,
): Promise<CandidacyDetail> {
  return deps.db.transaction(async (tx) => {
    const { candidacy } = await lockLiveCandidacy(tx, candidacyId)
    await assertNotRestricted(tx, candidacy.personId)
    const fact = await lockFact(tx, candidacyId, factId)
    if (!fact) throw new AppError('fact.not_found')
    if (fact.specialBasis === 'manifestly_public' && changes.source && !changes.source.url) {
      throw new AppError('fact.special_category_refused', 'Give the URL where the person made it public.')
    }
    const now = deps.clock.now()
    await updateFact(tx, factId, {
      ...(changes.kind ? { kind: changes.kind } : {}),
      ...(changes.value ? { value: changes.value } : {}),
      ...(changes.source
        ? {
            sourceType: changes.source.type,
            sourceUrl: changes.source.url ?? null,
            collectedAt: changes.source.collectedAt,
          }
        : {}),
      collectedBy: actor.userId,
      updatedAt: now,
    })
    await appendLedgerEvents(tx, candidacyId, [
      rectified(
        actor,
        now,
        Object.keys(changes).map((field) => `fact.${field}`),
      ),
    ])
    return readCandidacyIn(tx, deps, actor, candidacyId, route)
  })
}

export interface PersonChanges {
  fullName?: string | undefined
  emails?: string[] | undefined
  phone?: string | null | undefined
  location?: string | null | undefined
  headline?: string | null | undefined
  language?: Language | undefined
  identifiers?: Array<{ kind: IdentifierKind; value: string | null }> | undefined
}

/** Art. 16 rectification of the person: every candidacy sees the corrected data. */
export async function rectifyPerson(
  deps: SourcingDeps,
  actor: Principal,
  candidacyId: string,
  changes: PersonChanges,
  route: string,
): Promise<CandidacyDetail> {
  return deps.db.transaction(async (tx) => {
    const { candidacy, vacancy } = await lockLiveCandidacy(tx, candidacyId)
    const person = await assertNotRestricted(tx, candidacy.personId)
    const now = deps.clock.now()
    const { emails, identifiers, ...fields } = changes
    // A consent vacancy holds contact data only until the person consents, rectified or not.
    const addsMore =
      Boolean(fields.location || fields.headline) || (identifiers ?? []).some((item) => item.value !== null)
    if (vacancy.legalBasis === 'consent' && addsMore && !hasLiveConsent(candidacy, now)) {
      throw new AppError('candidacy.facts_need_consent')
    }
    await updatePerson(tx, person.id, { ...fields, updatedAt: now })
    if (emails) {
      const normalized = [...new Set(emails.map(normaliseEmail))]
      if (await emailsHeldByOthers(tx, person.id, normalized)) throw new AppError('person.email_taken')
      if (await isSuppressed(tx, deps.config.SERVER_SECRET!, normalized))
        throw new AppError('sourcing.suppressed')
      await deleteEmailsExcept(tx, person.id, normalized)
      const held = new Set((await listEmails(tx, [person.id])).map((email) => email.normalized))
      const added = emails
        .map((address) => ({
          personId: person.id,
          address: address.trim(),
          normalized: normaliseEmail(address),
          createdAt: now,
        }))
        .filter(
          (email, index, all) => all.findIndex((other) => other.normalized === email.normalized) === index,
        )
        .filter((email) => !held.has(email.normalized))
      // Another person took one of the addresses since the check above: the unique key says so.
      await insertEmails(tx, added).catch((error: unknown) => {
        throw isUniqueViolation(error) ? new AppError('person.email_taken') : error
      })
    }
    for (const identifier of identifiers ?? []) {
      if (identifier.value === null) await deleteIdentifier(tx, person.id, identifier.kind)
      else
        await upsertIdentifiers(
          tx,
          identifierRows(deps, person.id, [{ kind: identifier.kind, value: identifier.value }], now),
        )
    }
    const names = Object.keys(changes).map((field) => `person.${field}`)
    await appendLedgerEvents(tx, candidacyId, [rectified(actor, now, names)])
    return readCandidacyIn(tx, deps, actor, candidacyId, route)
  })
}

/** The order a candidacy moves in by human decision; rejected is possible from any of them. */
const PROGRESSION: Stage[] = ['sourced', 'contacted', 'consented', 'introduced', 'hired']

/** Art. 22: stages change only by a named human's decision with a reason; the system ranks nothing. */
export async function changeStage(
  deps: SourcingDeps,
  actor: Principal,
  candidacyId: string,
  input: { stage: 'contacted' | 'consented' | 'hired' | 'rejected'; reason: string },
  route: string,
): Promise<CandidacyDetail> {
  return deps.db.transaction(async (tx) => {
    const context = await lockLiveCandidacy(tx, candidacyId)
    const { candidacy } = context
    if (!stageTransitionAllowed(candidacy.stage, input.stage)) {
      throw new AppError(
        'candidacy.invalid_stage_transition',
        `A ${candidacy.stage} candidacy cannot become ${input.stage}.`,
      )
    }
    const now = deps.clock.now()
    if (input.stage === 'consented' && !hasLiveConsent(candidacy, now)) {
      throw new AppError(
        'candidacy.invalid_stage_transition',
        'The person has not given live consent for this vacancy.',
      )
    }
    await recordHumanStage(tx, candidacy, input.stage, actor, input.reason, now)
    return readCandidacyIn(tx, deps, actor, candidacyId, route)
  })
}

/** Moves a locked candidacy to a stage a human decided on, and keeps the decision (Art. 22). */
export async function recordHumanStage(
  tx: Executor,
  candidacy: Pick<CandidacyRow, 'id' | 'stage'>,
  stage: Stage,
  actor: Principal,
  reason: string,
  now: Date,
): Promise<void> {
  await updateCandidacy(tx, candidacy.id, {
    stage,
    stageChangedAt: now,
    stageChangedBy: actor.userId,
    updatedAt: now,
    ...(stage === 'introduced' ? { introducedAt: now } : {}),
  })
  await insertStageChange(tx, {
    candidacyId: candidacy.id,
    fromStage: candidacy.stage,
    toStage: stage,
    decidedBy: actor.userId,
    reason,
    decidedAt: now,
  })
}

/** Whether a human may move a candidacy from its stage to another (introduction has its own guard). */
export function stageTransitionAllowed(from: Stage, to: Stage): boolean {
  const fromIndex = PROGRESSION.indexOf(from)
  if (fromIndex < 0) return false
  if (to === 'rejected') return from !== 'hired'
  // Only a candidate introduced to the client (with live consent, Art. 14 told) can be hired.
  if (to === 'hired') return from === 'introduced'
  return PROGRESSION.indexOf(to) > fromIndex
}

/** System stage changes (withdrawal, objection, erasure) are the only ones no human makes. */
export async function recordSystemStage(
  tx: Executor,
  candidacy: Pick<CandidacyRow, 'id' | 'stage'>,
  stage: 'withdrawn' | 'objected' | 'erased',
  now: Date,
): Promise<void> {
  if (candidacy.stage === stage) return
  await updateCandidacy(tx, candidacy.id, {
    stage,
    stageChangedAt: now,
    stageChangedBy: null,
    updatedAt: now,
  })
  if (stage !== 'erased') {
    await insertStageChange(tx, {
      candidacyId: candidacy.id,
      fromStage: candidacy.stage,
      toStage: stage,
      decidedBy: null,
      decidedAt: now,
    })
  }
}

export type { Actor }
