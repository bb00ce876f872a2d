import type { Executor } from '../../db/client'
import { AppError } from '../../lib/problems'
import type { Services } from '../../services'
import type { CandidacyContext } from '../candidacies/candidacies.service'
import { ENDED_STAGES, effectiveConsentState } from '../candidacies/candidacy-rules'
import type { MailTemplate } from '../messages/mail-templates'
import type { PersonEmailRow, PersonRow } from '../people/people.service'
import { isSuppressed } from '../suppression/suppression.service'

/** Where a mail may go: the person's first address that has not bounced hard. */
export function deliverableAddress(emails: PersonEmailRow[]): PersonEmailRow | undefined {
  return emails.find((email) => email.undeliverableAt === null)
}

/** Why a mail must not go out now, or undefined. Checked on enqueue and again just before sending. */
export async function refusal(
  deps: Pick<Services, 'config'>,
  tx: Executor,
  template: MailTemplate,
  context: CandidacyContext,
  person: PersonRow | undefined,
  emails: PersonEmailRow[],
  now: Date,
): Promise<{ code: string; error: AppError } | undefined> {
  const { candidacy } = context
  if (!person || ENDED_STAGES.includes(candidacy.stage)) {
    return { code: `candidacy_${candidacy.stage}`, error: new AppError('candidacy.ended') }
  }
  // Art. 18: a restricted person's data is stored only — no outreach.
  if (person.restrictedAt) return { code: 'restricted', error: new AppError('person.restricted') }
  const address = deliverableAddress(emails)
  if (!address) return { code: 'undeliverable', error: new AppError('outreach.no_deliverable_address') }
  if (await isSuppressed(tx, deps.config.SERVER_SECRET, [address.normalized])) {
    return { code: 'suppressed', error: new AppError('sourcing.suppressed') }
  }
  const consent = effectiveConsentState(candidacy, now)
  if (template === 'consent_request' && (consent === 'given' || consent === 'declined')) {
    return {
      code: `consent_${consent}`,
      error: new AppError(consent === 'given' ? 'consent.already_given' : 'consent.declined'),
    }
  }
  if (template === 'consent_reminder' && consent !== 'requested') {
    return { code: `consent_${consent}`, error: new AppError('outreach.not_applicable') }
  }
  if (template === 'introduction_confirmation' && candidacy.introducedAt === null) {
    return {
      code: 'not_introduced',
      error: new AppError('outreach.not_applicable', 'The candidate has not been introduced.'),
    }
  }
  if ((template === 'consent_request' || template === 'art14_notice') && context.vacancy.status !== 'open') {
    return { code: 'vacancy_not_open', error: new AppError('vacancy.not_open') }
  }
  return undefined
}

/** A message in one of these states is done with: the worker leaves it. */
export const TERMINAL = new Set(['sent', 'delivered', 'opened', 'clicked', 'bounced', 'failed', 'cancelled'])
