import type { Executor } from '../../db/client'
import type { Language } from '../../lib/languages'
import { AppError } from '../../lib/problems'
import type { Services } from '../../services'
import { listPersonCandidacies } from '../candidacies/candidacies.service'
import { ENDED_STAGES } from '../candidacies/candidacy-rules'
import { findPerson, lockPerson } from '../people/people.service'

export interface PersonContext {
  personId: string
  candidacyIds: string[]
  liveCandidacyId: string | null
  language: Language
  restrictedAt: Date | null
}

/** A candidacy was added to the person between locking their candidacies and locking them. */
class PersonGainedCandidacy extends Error {}

/**
 * The person's candidacies (in id order), and one still live for the links in mail about the
 * request. `lock` locks the candidacies, then the person (the order every candidacy's transaction
 * takes), and checks no candidacy was added in between: one that was would escape what the
 * request does (a restriction, an objection). Callers run in a `personTransaction`.
 */
export async function personContext(
  db: Executor,
  personId: string,
  options: { lock?: boolean } = {},
): Promise<PersonContext | undefined> {
  const locked = options.lock ? await listPersonCandidacies(db, personId, { lock: true }) : undefined
  // The person's lock leaves first: a sourcing holding it (for share) while it adds a candidacy
  // is waited for, and the list after it sees what that sourcing committed.
  const [person, rows] = await Promise.all([
    locked ? lockPerson(db, personId) : findPerson(db, personId),
    listPersonCandidacies(db, personId),
  ])
  if (locked && rows.some((row) => !locked.some((candidacy) => candidacy.id === row.id)))
    throw new PersonGainedCandidacy()
  if (!person) return undefined
  return {
    personId,
    candidacyIds: rows.map((row) => row.id),
    liveCandidacyId: rows.find((row) => !ENDED_STAGES.includes(row.stage))?.id ?? null,
    language: person.language,
    restrictedAt: person.restrictedAt,
  }
}

/**
 * A transaction over a person's locked context, started again when a sourcing added a candidacy
 * to them meanwhile (a sourcing is milliseconds); a person who keeps gaining them is a 409.
 */
export async function personTransaction<T>(
  db: Services['db'],
  work: (tx: Executor) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work)
    } catch (error) {
      if (!(error instanceof PersonGainedCandidacy)) throw error
      if (attempt >= 5) throw new AppError('person.busy')
    }
  }
}
