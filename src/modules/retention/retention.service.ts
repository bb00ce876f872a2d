import type { Services } from '../../services'
import { listPersonCandidacies, lockCandidacies } from '../candidacies/candidacies.service'
import { appendLedgerEvents } from '../ledger/ledger.service'
import { cancelPendingMessages, removeCancelledJobs } from '../messages/messages.service'
import { listEmails, lockPerson } from '../people/people.service'
import { deleteCandidacyData, deletePersonData } from '../requests/erasure.service'
import { type DueCandidacy, dueCandidacies, peopleStanding } from './retention.repository'

type RetentionDeps = Pick<Services, 'db' | 'clock' | 'queues'>

export interface RetentionItem {
  personId: string
  /** The whole person goes: none of their candidacies may be kept, no open request, no live talent pool. */
  wholePerson: boolean
  candidacies: Array<{ candidacyId: string; reason: DueCandidacy['reason'] }>
  /** Why something due is kept after all. */
  keptBecause?: 'open_request' | 'talent_pool'
}

/** What the retention run would erase now, and why; reads only (`retention:run --dry-run`). */
export async function planRetention(deps: Pick<Services, 'db' | 'clock'>): Promise<RetentionItem[]> {
  const now = deps.clock.now()
  const due = await dueCandidacies(deps.db, now)
  const byPerson = new Map<string, DueCandidacy[]>()
  for (const item of due) byPerson.set(item.personId, [...(byPerson.get(item.personId) ?? []), item])
  const standings = new Map(
    (await peopleStanding(deps.db, [...byPerson.keys()], now)).map((row) => [row.personId, row]),
  )
  return [...byPerson].map(([personId, items]) => {
    const standing = standings.get(personId)!
    const keptBecause =
      standing.openRequests > 0 ? 'open_request' : standing.talentPoolUntil ? 'talent_pool' : undefined
    return {
      personId,
      wholePerson: items.length === standing.candidacies && !keptBecause,
      candidacies: items.map(({ candidacyId, reason }) => ({ candidacyId, reason })),
      ...(keptBecause ? { keptBecause } : {}),
    }
  })
}

export interface RetentionResult {
  plan: RetentionItem[]
  erasedPeople: number
  erasedCandidacies: number
}

/**
 * The daily retention run (Art. 5(1)(e)): erases, through the erasure service's deletion, every
 * person none of whose candidacies may be kept any longer and who has no open request or live
 * talent-pool consent; single candidacies of people who stay lose their data too. Each person in
 * their own transaction, with retention_expired in the ledger. No suppression: the person did
 * not object, they may be sourced again for another vacancy.
 */
export async function runRetention(
  deps: RetentionDeps,
  options: { dryRun?: boolean } = {},
): Promise<RetentionResult> {
  const plan = await planRetention(deps)
  if (options.dryRun) return { plan, erasedPeople: 0, erasedCandidacies: 0 }
  let erasedPeople = 0
  let erasedCandidacies = 0
  for (const item of plan) {
    if (item.keptBecause) continue
    const { cancelled, personErased } = await deps.db.transaction(async (tx) => {
      const now = deps.clock.now()
      const cancelledIds: string[] = []
      const ids = item.candidacies.map((candidacy) => candidacy.candidacyId)
      // The candidacies before their messages, in id order, as a withdrawal or the mail worker.
      await lockCandidacies(tx, ids)
      for (const { candidacyId, reason } of item.candidacies) {
        cancelledIds.push(...(await cancelPendingMessages(tx, candidacyId, 'retention_expired', now)))
        await appendLedgerEvents(tx, candidacyId, [
          { type: 'retention_expired', actor: { type: 'system' }, occurredAt: now, evidence: { reason } },
        ])
      }
      // The person locked after the candidacies (the lock order), their candidacies listed again in
      // the same round trip: one sourced again since the plan (a sourcing holds the person's lock
      // while it adds a candidacy) stays, with only the due candidacies erased.
      const [, current] = item.wholePerson
        ? await Promise.all([lockPerson(tx, item.personId), listPersonCandidacies(tx, item.personId)])
        : []
      const wholePerson = current?.every((candidacy) => ids.includes(candidacy.id)) ?? false
      if (wholePerson) {
        const emails = await listEmails(tx, [item.personId])
        await deletePersonData(tx, {
          personId: item.personId,
          candidacyIds: ids,
          addresses: emails.map((email) => email.normalized),
          keepMessageIds: [],
          at: now,
        })
      } else {
        await deleteCandidacyData(tx, ids, now)
      }
      return { cancelled: cancelledIds, personErased: wholePerson }
    })
    await removeCancelledJobs(deps, cancelled)
    erasedCandidacies += item.candidacies.length
    if (personErased) erasedPeople++
  }
  return { plan, erasedPeople, erasedCandidacies }
}
