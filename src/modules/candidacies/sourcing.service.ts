import { randomUUID } from 'node:crypto'
import { isUniqueViolation } from '../../db/errors'
import { oneMonthDeadline } from '../../lib/deadlines'
import { normaliseEmail } from '../../lib/email-address'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import { genesisEvents, insertLedgerEvents, type LedgerEntry } from '../ledger/ledger.service'
import {
  findPersonIdsByEmails,
  insertEmails,
  insertPerson,
  listEmails,
  type PersonEmailRow,
  type PersonRow,
  sharePerson,
  upsertIdentifiers,
} from '../people/people.service'
import { isSuppressed } from '../suppression/suppression.service'
import { lockSourcingVacancy } from '../vacancies/vacancies.service'
import { candidacyExists, flagVacancyForDpia, insertCandidacy, insertFacts } from './candidacies.repository'
import type { CandidacyDetail } from './candidacies.service'
import {
  factRows,
  identifierRows,
  refuseFutureSources,
  type SourcingInput,
  specialCategoryRefusal,
} from './fact-inputs'

type SourcingDeps = Pick<Services, 'db' | 'clock' | 'config' | 'keyring'>

/** The person found in a sourcing's first round was deleted (erased, retention) before its second. */
class PersonVanished extends Error {}

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
  refuseFutureSources(
    [
      { field: 'body.source.collectedAt', source: input.source },
      ...input.facts.map((fact, index) => ({
        field: `body.facts.${index}.source.collectedAt`,
        source: fact.source,
      })),
    ],
    deps.clock.now(),
  )
  const attempt = () =>
    deps.db.transaction(async (tx): Promise<CandidacyDetail> => {
      // One round trip, the transaction's first. Art. 17/21: an erased or objecting person is
      // never sourced again; nothing of this request is kept (the transaction rolls back).
      const [suppressed, vacancy, existing] = await Promise.all([
        isSuppressed(tx, deps.config.SERVER_SECRET, normalized),
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
          isSuppressed(tx, deps.config.SERVER_SECRET, normalized),
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
          ? upsertIdentifiers(tx, identifierRows(deps.keyring, personId, input.identifiers, now))
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
