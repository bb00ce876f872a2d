/** What a recruiter gives about a candidate — facts with their sources, identifiers — and the rows it becomes. */
import type { FieldKeyring } from '../../lib/field-crypto'
import type { Language } from '../../lib/languages'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import { identifierBinding } from '../people/people.service'
import type { IdentifierKind } from '../people/people.tables'
import type { NewFact } from './candidacies.repository'
import type { FactKind, SourceType, SpecialBasis, SpecialCategory } from './candidacies.tables'

export interface SourceInput {
  type: SourceType
  url?: string | undefined
  collectedAt: Date
}

/** A source collected "later than now" is a typing mistake, and would date the Art. 14 deadline wrong. */
export function refuseFutureSources(sources: Array<{ field: string; source: SourceInput }>, now: Date): void {
  const errors = sources
    .filter(({ source }) => source.collectedAt > now)
    .map(({ field }) => ({ field, message: 'cannot be in the future' }))
  if (errors.length > 0)
    throw new AppError('request.invalid', 'collectedAt cannot be in the future', { errors })
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

/** Art. 9: a special-category fact needs explicit consent (live) or a source where the person made it public. */
export function specialCategoryRefusal(fact: FactInput, consentLive: boolean): AppError | undefined {
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

/** Art. 14(2)(f): every fact keeps where it came from, when, and who collected it. */
export function factRows(candidacyId: string, inputs: FactInput[], actor: Principal, now: Date): NewFact[] {
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

/** High-risk identifiers, encrypted per field and bound to their person and kind. */
export function identifierRows(
  keyring: FieldKeyring,
  personId: string,
  identifiers: SourcingInput['identifiers'],
  now: Date,
) {
  return identifiers.map(({ kind, value }) => ({
    personId,
    kind,
    ...keyring.encrypt(value, identifierBinding(personId, kind)),
    updatedAt: now,
  }))
}
