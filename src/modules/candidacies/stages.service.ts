import type { Executor } from '../../db/client'
import { violatesConstraint } from '../../db/errors'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import type { Services } from '../../services'
import { appendToLockedChain } from '../ledger/ledger.service'
import { lockPerson } from '../people/people.service'
import { type CandidacyRow, insertStageChange, updateCandidacy } from './candidacies.repository'
import { type CandidacyDetail, lockLiveCandidacy, readCandidacyIn } from './candidacies.service'
import type { Stage } from './candidacies.tables'
import { effectiveConsentState, hasLiveConsent, stageTransitionAllowed } from './candidacy-rules'

type StageDeps = Pick<Services, 'db' | 'clock' | 'keyring'>

/** Art. 22: stages change only by a named human's decision with a reason; the system ranks nothing. */
export async function changeStage(
  deps: StageDeps,
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

/**
 * Introduces a candidate to the client: only with live consent for this vacancy (Art. 6(1)(a),
 * 7), decided in the same transaction that holds the candidacy's lock, so a withdrawal recorded
 * first always wins and one recorded after sees the introduction.
 */
export async function introduceCandidate(
  deps: StageDeps,
  actor: Principal,
  candidacyId: string,
  reason: string,
  route: string,
): Promise<CandidacyDetail> {
  const introduction = deps.db.transaction(async (tx) => {
    const { candidacy, vacancy } = await lockLiveCandidacy(tx, candidacyId)
    const now = deps.clock.now()
    if (!hasLiveConsent(candidacy, now)) {
      throw new AppError(
        'consent.required',
        `Consent for this vacancy is ${effectiveConsentState(candidacy, now)}.`,
      )
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
    await appendToLockedChain(tx, candidacyId, candidacy, [
      {
        type: 'introduced',
        actor: { type: 'user', userId: actor.userId },
        occurredAt: now,
        legalBasis: 'consent',
        evidence: { recipientClient: vacancy.clientId },
      },
    ])
    return readCandidacyIn(tx, deps, actor, candidacyId, route)
  })
  // The database's own guard (migration 0013) says the same as the check above, should it act.
  return introduction.catch((error: unknown) => {
    throw violatesConstraint(error, 'candidacies_introduction_needs_consent')
      ? new AppError('consent.required')
      : error
  })
}
