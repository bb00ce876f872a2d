/**
 * The rules about a candidacy's consent and stage that need no database: a leaf every module may
 * use (consent, outreach, requests), so none of them needs another for a rule.
 */
import type { CandidacyRow } from './candidacies.repository'
import type { ConsentState, NoticeStatus, Stage } from './candidacies.tables'

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

/** An Art. 14 notice still owed: not yet sent, or sent and bounced (it informed nobody). */
export const owedNoticeStatuses: readonly NoticeStatus[] = ['pending', 'undelivered']

/** The order a candidacy moves in by human decision; rejected is possible from any of them. */
const PROGRESSION: Stage[] = ['sourced', 'contacted', 'consented', 'introduced', 'hired']

/** Whether a human may move a candidacy from its stage to another (introduction has its own guard). */
export function stageTransitionAllowed(from: Stage, to: Stage): boolean {
  const fromIndex = PROGRESSION.indexOf(from)
  if (fromIndex < 0) return false
  if (to === 'rejected') return from !== 'hired'
  // Only a candidate introduced to the client (with live consent, Art. 14 told) can be hired.
  if (to === 'hired') return from === 'introduced'
  return PROGRESSION.indexOf(to) > fromIndex
}
