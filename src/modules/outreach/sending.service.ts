import { UnrecoverableError } from 'bullmq'
import type { Executor } from '../../db/client'
import { normaliseEmail } from '../../lib/email-address'
import { hashLinkToken } from '../../lib/tokens'
import { isPermanentMailFailure } from '../../plugins/mailer'
import {
  type CandidacyContext,
  lockCandidacyContext,
  lockContextOfMessage,
} from '../candidacies/candidacies.service'
import { owedNoticeStatuses } from '../candidacies/candidacy-rules'
import { requestConsentInTransaction } from '../consent/consent.service'
import { insertLinkTokens, linkUrl, standingLinkRow } from '../consent/links.service'
import { appendToLockedChain } from '../ledger/ledger.service'
import { noticeTemplates } from '../messages/mail-templates'
import {
  findMessage,
  lockMessage,
  type MessageRow,
  releasedDedupeKey,
  sentUnlessReported,
  updateMessage,
} from '../messages/messages.service'
import { lockPersonOfMessage, type PersonEmailRow, type PersonRow } from '../people/people.service'
import { isSuppressed } from '../suppression/suppression.service'
import { linksIn, mailTokens, outgoingMail } from './mail-links'
import { aboutVacancy, linkPlaceholder, mailContext, renderMail } from './outreach.render'
import {
  isErasureRequest,
  latestConsentLink,
  type MailSubjectMatter,
  mailSubjectMatter,
} from './outreach.repository'
import type { OutreachDeps } from './outreach.service'
import { deliverableAddress, refusal, TERMINAL } from './send-policy'

/**
 * First attempt: makes the links (consent requests through the consent service, so the text,
 * links and consent_requested event are the same as for any request) and renders the mail once.
 * What is stored has placeholders instead of tokens. The plain links are written by `writeLinks`,
 * with the message's own update at the end of the transaction (one round trip).
 */
async function prepareMail(
  deps: OutreachDeps,
  tx: Executor,
  message: MessageRow,
  context: CandidacyContext,
  person: PersonRow,
  address: PersonEmailRow,
  { vacancy, client, factKinds }: MailSubjectMatter,
): Promise<{
  rendered: Pick<MessageRow, 'toAddress' | 'subject' | 'bodyText' | 'bodyHtml' | 'messageIdHeader'>
  writeLinks: () => Promise<unknown>
}> {
  const secret = deps.config.SERVER_SECRET
  const candidacyId = context.candidacy.id
  const tokens = mailTokens(secret, message.id, linksIn(message.template))
  const now = deps.clock.now()
  let consentExpiresAt: Date | null = null
  if (message.template === 'consent_request') {
    const request = await requestConsentInTransaction(
      deps,
      tx,
      message.requestedBy ? { type: 'user', userId: message.requestedBy } : { type: 'system' },
      candidacyId,
      { tokens: { consent: tokens.consent!, withdraw: tokens.withdraw! }, messageId: message.id },
    )
    consentExpiresAt = request.expiresAt
  } else {
    if (message.template === 'consent_reminder') {
      // A reminder repeats the open request: a new link to the same text, running out at the same time.
      const open = await latestConsentLink(tx, candidacyId)
      if (!open) throw new UnrecoverableError('no consent request to remind of')
      consentExpiresAt = open.expiresAt
      await insertLinkTokens(tx, [
        {
          tokenHash: hashLinkToken(tokens.consent!),
          candidacyId,
          action: 'consent',
          consentTextHash: open.consentTextHash,
          expiresAt: open.expiresAt,
          createdAt: now,
        },
      ])
    }
  }
  // A consent request's withdraw link came with it; one statement for the links still to make.
  const standing =
    message.template === 'consent_request'
      ? (['self_service'] as const)
      : (['withdraw', 'self_service'] as const)
  const writeLinks = () =>
    insertLinkTokens(
      tx,
      standing.map((action) => standingLinkRow(deps, candidacyId, action, tokens[action]!)),
    )
  const links = Object.fromEntries(
    linksIn(message.template).map((action) => [
      action,
      linkUrl(deps.config, action, linkPlaceholder(action)),
    ]),
  )
  const content = renderMail(
    deps.templates,
    message.template,
    message.language,
    mailContext(deps.config, message.language, {
      person: { fullName: person.fullName },
      ...aboutVacancy(vacancy, client),
      sourceType: context.candidacy.sourceType,
      factKinds,
      links,
      consentExpiresAt,
    }),
  )
  const domain = deps.config.MAIL_FROM.match(/@([^>\s]+)/)?.[1] ?? 'candor.localhost'
  return {
    rendered: {
      toAddress: address.address,
      subject: content.subject,
      bodyText: content.text,
      bodyHtml: content.html,
      messageIdHeader: `<${message.id}@${domain}>`,
    },
    writeLinks,
  }
}

export type SendOutcome = 'sent' | 'cancelled' | 'skipped'

export interface SendAttempt {
  number: number
  last: boolean
  /** The mail server accepted this message on an earlier attempt (its message id there). */
  acceptedAs?: string | undefined
  /** Keeps that acceptance with the job, so the retry after a failed recording does not resend. */
  rememberAccepted?: (providerMessageId: string) => Promise<unknown>
}

/**
 * The worker's job: re-check, just before sending, everything that would make the mail wrong
 * now (withdrawal, objection, restriction, suppression, erasure), then send. Transient SMTP
 * failures throw so BullMQ retries with backoff; permanent ones end the message as failed.
 */
export async function sendMessage(
  deps: OutreachDeps,
  messageId: string,
  attempt: SendAttempt,
): Promise<SendOutcome> {
  if (attempt.acceptedAs) return recordAccepted(deps, messageId, attempt.acceptedAs)
  const prepared = await deps.db.transaction(async (tx) => {
    // One round trip, in the lock order a withdrawal follows too: the candidacy, its person (with
    // the addresses), then the message.
    const [context, { person, emails }, message] = await Promise.all([
      lockContextOfMessage(tx, messageId),
      lockPersonOfMessage(tx, messageId),
      lockMessage(tx, messageId),
    ])
    if (!message || TERMINAL.has(message.status)) return undefined
    const now = deps.clock.now()
    if (!message.candidacyId) {
      // Mail about a request goes out even after erasure or objection: the person asked (Art. 12(3)).
      // Other direct mail (a talent-pool renewal) still respects the suppression list.
      if (
        !message.subjectRequestId &&
        (await isSuppressed(tx, deps.config.SERVER_SECRET, [normaliseEmail(message.toAddress ?? '')]))
      ) {
        await updateMessage(tx, message.id, {
          status: 'cancelled',
          statusReason: 'suppressed',
          statusAt: now,
          dedupeKey: releasedDedupeKey,
        })
        return { cancelled: true as const }
      }
      const changes = { status: 'sending' as const, attempts: message.attempts + 1, statusAt: now }
      await updateMessage(tx, message.id, changes)
      return { cancelled: false as const, message: { ...message, ...changes }, context: undefined }
    }
    if (!context) throw new UnrecoverableError('message without candidacy')
    // One round trip: the checks (suppression) and, on a first attempt, what the mail is about.
    const [refused, subjectMatter] = await Promise.all([
      refusal(deps, tx, message.template, context, person, emails, now),
      message.subject === null ? mailSubjectMatter(tx, context.candidacy.id) : undefined,
    ])
    if (refused) {
      await updateMessage(tx, message.id, {
        status: 'cancelled',
        statusReason: refused.code,
        statusAt: now,
        dedupeKey: releasedDedupeKey,
      })
      return { cancelled: true as const }
    }
    const address = deliverableAddress(emails)!
    if (message.subject === null && !subjectMatter)
      throw new UnrecoverableError('the vacancy or client is gone')
    const prepared = subjectMatter
      ? await prepareMail(deps, tx, message, context, person!, address, subjectMatter)
      : undefined
    // A retry goes only to an address the person still has: one rectified meanwhile (Art. 16)
    // may have been someone else's, so the mail follows the correction.
    const stillTheirs = emails.some((email) => email.address === message.toAddress && !email.undeliverableAt)
    const changes = {
      ...prepared?.rendered,
      ...(prepared || stillTheirs ? {} : { toAddress: address.address }),
      status: 'sending' as const,
      attempts: message.attempts + 1,
      statusAt: now,
    }
    await Promise.all([prepared?.writeLinks(), updateMessage(tx, message.id, changes)])
    return { cancelled: false as const, message: { ...message, ...changes }, context }
  })
  if (!prepared) return 'skipped'
  if (prepared.cancelled) return 'cancelled'

  let providerMessageId: string
  try {
    ;({ providerMessageId } = await deps.mailer.send(outgoingMail(deps, prepared.message, prepared.context)))
  } catch (error) {
    const permanent = isPermanentMailFailure(error)
    if (permanent || attempt.last) {
      await updateMessage(deps.db, messageId, {
        status: 'failed',
        statusReason: permanent
          ? `smtp_${(error as { responseCode?: number }).responseCode}`
          : 'retries_exhausted',
        statusAt: deps.clock.now(),
        dedupeKey: releasedDedupeKey,
      })
      throw new UnrecoverableError(permanent ? 'the mail server refused the message' : 'no attempts left')
    }
    // Not the mail server's own words, which can name the recipient: BullMQ keeps a job's errors
    // in Redis in clear text. Its codes say what went wrong.
    const { code, responseCode } = error as { code?: unknown; responseCode?: unknown }
    throw new Error(`sending failed for now (${[code, responseCode].filter(Boolean).join(' ') || 'unknown'})`)
  }
  try {
    await recordSent(deps, prepared.message, providerMessageId)
  } catch (error) {
    // The mail is out: the retry this error causes must record it, never send it a second time.
    await attempt.rememberAccepted?.(providerMessageId)
    throw error
  }
  return 'sent'
}

/** A retry after the mail server accepted the mail and recording that failed: records it only. */
async function recordAccepted(
  deps: OutreachDeps,
  messageId: string,
  providerMessageId: string,
): Promise<SendOutcome> {
  const message = await findMessage(deps.db, messageId)
  // Recorded after all (the reply to the COMMIT was what got lost): nothing left to do.
  if (!message || message.sentAt !== null) return 'skipped'
  await recordSent(deps, message, providerMessageId)
  return 'sent'
}

async function recordSent(deps: OutreachDeps, message: MessageRow, providerMessageId: string) {
  await deps.db.transaction(async (tx) => {
    const now = deps.clock.now()
    // Art. 14(3): a notice tells the person; the ledger proves when and by which mail.
    const notice = message.candidacyId !== null && noticeTemplates.has(message.template)
    const [erasureAnswer, locked] = await Promise.all([
      // The answer to an erasure request is the last thing that names the address: once sent, it goes too.
      message.subjectRequestId ? isErasureRequest(tx, message.subjectRequestId) : false,
      notice ? lockCandidacyContext(tx, message.candidacyId!) : undefined,
    ])
    // The candidacy (locked first, as a withdrawal locks it before its messages), then the message.
    const noticeSent =
      locked && owedNoticeStatuses.includes(locked.candidacy.noticeStatus)
        ? appendToLockedChain(
            tx,
            locked.candidacy.id,
            locked.candidacy,
            [
              {
                type: 'notice_sent',
                actor: { type: 'system' },
                occurredAt: now,
                evidence: { message: message.id, template: message.template },
              },
            ],
            { noticeStatus: 'sent', noticeSentAt: now, updatedAt: now },
          )
        : undefined
    const messageSent = updateMessage(tx, message.id, {
      status: sentUnlessReported,
      statusReason: null,
      sentAt: now,
      statusAt: now,
      providerMessageId,
      dedupeKey: releasedDedupeKey,
      ...(erasureAnswer ? { toAddress: null, subject: null, bodyText: null, bodyHtml: null } : {}),
    })
    await Promise.all([noticeSent, messageSent])
  })
}
