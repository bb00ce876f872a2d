import { randomUUID } from 'node:crypto'
import { AppError } from '../../lib/problems'
import type { Services } from '../../services'
import { lockCandidacyContext } from '../candidacies/candidacies.service'
import type { MailTemplate } from '../messages/mail-templates'
import { insertMessageOnce, queueMessages } from '../messages/messages.service'
import { lockPersonOfCandidacy } from '../people/people.service'
import { refusal } from './send-policy'

// The notices a DPO watches (/dpo/notices).
export { noticesDue } from './outreach.repository'

export type OutreachDeps = Pick<Services, 'db' | 'clock' | 'config' | 'templates' | 'mailer' | 'queues'>

/** Templates a recruiter may send; the others are sent by the system (reminders, notices, requests). */
export const staffTemplates = ['consent_request', 'art14_notice', 'introduction_confirmation'] as const
export type StaffTemplate = (typeof staffTemplates)[number]

/**
 * Queues a mail for a candidacy: the message row is written first (PostgreSQL is the record),
 * then the job. A pending message of the same kind is returned instead of a second one.
 */
export async function enqueueOutreach(
  deps: OutreachDeps,
  requestedBy: string | null,
  candidacyId: string,
  template: MailTemplate,
  options: { language?: 'nl' | 'en' | undefined; dedupeKey?: string } = {},
): Promise<{ messageId: string; created: boolean }> {
  const result = await deps.db.transaction(async (tx) => {
    // One round trip: the candidacy's lock, then the person's (the lock order), and the addresses.
    const [context, { person, emails }] = await Promise.all([
      lockCandidacyContext(tx, candidacyId),
      lockPersonOfCandidacy(tx, candidacyId),
    ])
    if (!context) return { refused: new AppError('candidacy.not_found') }
    const now = deps.clock.now()
    const refused = await refusal(deps, tx, template, context, person, emails, now)
    if (refused) return { refused: refused.error }
    const { row, created } = await insertMessageOnce(tx, {
      id: randomUUID(),
      candidacyId,
      template,
      language: options.language ?? person!.language,
      status: 'queued',
      requestedBy,
      dedupeKey: options.dedupeKey ?? `${template}:${candidacyId}`,
      queuedAt: now,
      statusAt: now,
    })
    return { messageId: row.id, created }
  })
  if ('refused' in result) throw result.refused
  await queueMessages(deps, [result.messageId])
  return result
}
