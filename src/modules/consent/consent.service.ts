import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import {
  hasLiveConsent,
  lockLiveCandidacy,
  recordHumanStage,
  stageTransitionAllowed,
} from '../candidacies/candidacies.service'
import { appendLedgerEvents } from '../ledger/ledger.service'
import { lockPerson } from '../people/people.repository'

/**
 * Introduces a candidate to the client: only with live consent for this vacancy (Art. 6(1)(a),
 * 7), decided in the same transaction that holds the candidacy's lock, so a withdrawal recorded
 * first always wins and one recorded after sees the introduction.
 */
export async function introduceCandidate(
  deps: Pick<Services, 'db' | 'clock'>,
  actor: Principal,
  candidacyId: string,
  reason: string,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const { candidacy, vacancy } = await lockLiveCandidacy(tx, candidacyId)
    const now = deps.clock.now()
    if (!hasLiveConsent(candidacy, now)) {
      throw new AppError('consent.required', `Consent for this vacancy is ${candidacy.consentState}.`)
    }
    const person = candidacy.personId ? await lockPerson(tx, candidacy.personId) : undefined
    if (person?.restrictedAt) throw new AppError('person.restricted')
    if (vacancy.status !== 'open') throw new AppError('vacancy.not_open', `The vacancy is ${vacancy.status}.`)
    if (!stageTransitionAllowed(candidacy.stage, 'introduced')) {
      throw new AppError(
        'candidacy.invalid_stage_transition',
        `A ${candidacy.stage} candidacy cannot be introduced.`,
      )
    }
    await recordHumanStage(tx, candidacy, 'introduced', actor, reason, now)
    await appendLedgerEvents(tx, candidacyId, [
      {
        type: 'introduced',
        actor: { type: 'user', userId: actor.userId },
        occurredAt: now,
        legalBasis: 'consent',
        evidence: { recipientClient: vacancy.clientId },
      },
    ])
  })
}
