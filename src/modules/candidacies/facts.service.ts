import { isUniqueViolation } from '../../db/errors'
import { normaliseEmail } from '../../lib/email-address'
import type { Language } from '../../lib/languages'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import { appendLedgerEvents, type LedgerEntry } from '../ledger/ledger.service'
import {
  deleteEmailsExcept,
  deleteIdentifier,
  emailsHeldByOthers,
  insertEmails,
  listEmails,
  updatePerson,
  upsertIdentifiers,
} from '../people/people.service'
import type { IdentifierKind } from '../people/people.tables'
import { isSuppressed } from '../suppression/suppression.service'
import {
  flagVacancyForDpia,
  insertFacts,
  lockFact,
  lockVacancyOfCandidacy,
  updateCandidacy,
  updateFact,
} from './candidacies.repository'
import {
  assertNotRestricted,
  type CandidacyDetail,
  lockLiveCandidacy,
  readCandidacyIn,
} from './candidacies.service'
import type { FactKind } from './candidacies.tables'
import { hasLiveConsent } from './candidacy-rules'
import {
  type FactInput,
  factRows,
  identifierRows,
  refuseFutureSources,
  type SourceInput,
  specialCategoryRefusal,
} from './fact-inputs'

type FactDeps = Pick<Services, 'db' | 'clock' | 'config' | 'keyring'>

export async function addFacts(
  deps: FactDeps,
  actor: Principal,
  candidacyId: string,
  inputs: FactInput[],
  route: string,
): Promise<CandidacyDetail> {
  refuseFutureSources(
    inputs.map((fact, index) => ({ field: `body.facts.${index}.source.collectedAt`, source: fact.source })),
    deps.clock.now(),
  )
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
  deps: FactDeps,
  actor: Principal,
  candidacyId: string,
  factId: string,
  changes: { kind?: FactKind | undefined; value?: string | undefined; source?: SourceInput | undefined },
  route: string,
): Promise<CandidacyDetail> {
  if (changes.source)
    refuseFutureSources([{ field: 'body.source.collectedAt', source: changes.source }], deps.clock.now())
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
  deps: FactDeps,
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
      if (await isSuppressed(tx, deps.config.SERVER_SECRET, normalized))
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
          identifierRows(deps.keyring, person.id, [{ kind: identifier.kind, value: identifier.value }], now),
        )
    }
    const names = Object.keys(changes).map((field) => `person.${field}`)
    await appendLedgerEvents(tx, candidacyId, [rectified(actor, now, names)])
    return readCandidacyIn(tx, deps, actor, candidacyId, route)
  })
}
