import type { Executor } from '../../db/client'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import { logAccess } from '../audit/audit.service'
import { listCandidacyEvents } from '../ledger/ledger.service'
import {
  findPerson,
  identifierBinding,
  listEmails,
  listIdentifiers,
  lockPerson,
  type PersonEmailRow,
  type PersonRow,
} from '../people/people.service'
import type { IdentifierKind } from '../people/people.tables'
import { findVacancyDetail } from '../vacancies/vacancies.service'
import {
  type CandidacyContext,
  type CandidacyRow,
  type FactRow,
  findCandidacyContext,
  listFacts,
  listVacancyCandidacies,
  lockCandidacyContext,
} from './candidacies.repository'
import type { ConsentState, Stage } from './candidacies.tables'
import { ENDED_STAGES } from './candidacy-rules'

// A candidacy as other modules reach it: through this service, never the repository.
export {
  type CandidacyContext,
  type CandidacyRow,
  findCandidacyContext,
  listPersonCandidacies,
  lockCandidacies,
  lockCandidacyContext,
  lockContextOfMessage,
  markNoticesUndelivered,
  updateCandidacy,
} from './candidacies.repository'

export type ReadDeps = Pick<Services, 'db' | 'clock' | 'keyring'>

export interface CandidacyDetail {
  context: CandidacyContext
  person: PersonRow | null
  emails: PersonEmailRow[]
  facts: FactRow[]
  identifiers?: Array<{ kind: IdentifierKind; value: string }>
}

/** Staff read the whole candidacy; a client user only what was introduced to its own vacancy (else 404). */
export function readCandidacy(
  deps: ReadDeps,
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
  deps: ReadDeps,
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
export async function assertNotRestricted(tx: Executor, personId: string | null): Promise<PersonRow> {
  const person = personId ? await lockPerson(tx, personId) : undefined
  if (!person) throw new AppError('candidacy.ended')
  if (person.restrictedAt) throw new AppError('person.restricted')
  return person
}

/** A candidacy's ledger, in order: a candidacy that does not exist is a 404, not an empty chain. */
export function readLedger(deps: Pick<Services, 'db'>, candidacyId: string) {
  return deps.db.transaction(async (tx) => {
    if (!(await findCandidacyContext(tx, candidacyId))) throw new AppError('candidacy.not_found')
    return listCandidacyEvents(tx, candidacyId)
  })
}
