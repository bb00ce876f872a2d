import { randomUUID } from 'node:crypto'
import { UnrecoverableError } from 'bullmq'
import { z } from 'zod'
import type { Executor } from '../../db/client'
import { addWorkingDays, endOfLocalDay, localDate } from '../../lib/deadlines'
import { normaliseEmail } from '../../lib/email-address'
import { AppError } from '../../lib/problems'
import { derivedLinkToken, hashLinkToken } from '../../lib/tokens'
import type { OutgoingMail, PreparedHeader } from '../../plugins/mailer'
import { isPermanentMailFailure } from '../../plugins/mailer'
import { addJobsTogether, jobsToRequeue } from '../../queue/queues'
import type { Services } from '../../services'
import {
  type CandidacyContext,
  lockCandidacyContext,
  lockPersonOfCandidacy,
} from '../candidacies/candidacies.repository'
import { ENDED_STAGES, effectiveConsentState } from '../candidacies/candidacies.service'
import { owedNoticeStatuses } from '../candidacies/candidacies.tables'
import { insertLinkTokens } from '../consent/consent.repository'
import { linkUrl, requestConsentInTransaction, standingLinkRow } from '../consent/consent.service'
import { appendToLockedChain } from '../ledger/ledger.service'
import type { PersonEmailRow, PersonRow } from '../people/people.repository'
import { isSuppressed } from '../suppression/suppression.service'
import {
  fillLinks,
  type LinkAction,
  linkPlaceholder,
  type MailFacts,
  mailContext,
  renderMail,
} from './outreach.render'
import {
  findMessage,
  insertMessageOnce,
  isErasureRequest,
  latestConsentLink,
  listStalePending,
  lockContextOfMessage,
  lockMessage,
  lockPersonOfMessage,
  type MailSubjectMatter,
  type MessageRow,
  mailSubjectMatter,
  openConsentRequests,
  releasedDedupeKey,
  sentUnlessReported,
  uncontactedNoticesDueBy,
  updateMessage,
} from './outreach.repository'
import { type MailTemplate, noticeTemplates } from './outreach.tables'

export type OutreachDeps = Pick<Services, 'db' | 'clock' | 'config' | 'templates' | 'mailer' | 'queues'>

/** Templates a recruiter may send; the others are sent by the system (reminders, notices, requests). */
export const staffTemplates = ['consent_request', 'art14_notice', 'introduction_confirmation'] as const
export type StaffTemplate = (typeof staffTemplates)[number]

const JOB_NAME = 'send'

/** Where a mail may go: the person's first address that has not bounced hard. */
function deliverableAddress(emails: PersonEmailRow[]): PersonEmailRow | undefined {
  return emails.find((email) => email.undeliverableAt === null)
}

/** Why a mail must not go out now, or undefined. Checked on enqueue and again just before sending. */
async function refusal(
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
  if (await isSuppressed(tx, deps.config.SERVER_SECRET!, [address.normalized])) {
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

/** A send job's payload: ids only, since BullMQ keeps payloads in clear text in Redis. */
export const sendJobPayload = z.strictObject({
  messageId: z.uuid(),
  /** Our Message-ID, set once the mail server accepted the mail but recording that failed. */
  acceptedAs: z.string().max(998).optional(),
})
type SendJobPayload = z.infer<typeof sendJobPayload>

function addSendJobs(deps: Pick<Services, 'queues'>, payloads: SendJobPayload[]) {
  // The job id is the message id: adding it twice (a retried request, the reconciler) is a no-op.
  return addJobsTogether(
    deps.queues.outreach,
    payloads.map((data) => ({ name: JOB_NAME, data, opts: { jobId: data.messageId } })),
  )
}

/** Adds the jobs of messages already recorded in PostgreSQL (after their transaction committed). */
export async function queueMessages(deps: Pick<Services, 'queues'>, messageIds: string[]): Promise<void> {
  await addSendJobs(
    deps,
    messageIds.map((messageId) => ({ messageId })),
  )
}

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

const TERMINAL = new Set(['sent', 'delivered', 'opened', 'clicked', 'bounced', 'failed', 'cancelled'])

/** The tokens of a mail's links, derived from its id; their hashes are what the database knows. */
function mailTokens(
  secret: string,
  messageId: string,
  actions: LinkAction[],
): Partial<Record<LinkAction, string>> {
  return Object.fromEntries(actions.map((action) => [action, derivedLinkToken(secret, messageId, action)]))
}

const linksIn = (template: MailTemplate): LinkAction[] =>
  template === 'consent_request' || template === 'consent_reminder'
    ? ['consent', 'withdraw', 'self_service']
    : ['withdraw', 'self_service']

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
  const secret = deps.config.SERVER_SECRET!
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
      client: { name: client.name, country: client.country },
      vacancy: {
        title: vacancy.title,
        purpose: vacancy.purpose,
        legalBasis: vacancy.legalBasis,
        retentionDays: vacancy.retentionDays,
      },
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

/** The link actions whose placeholders a stored mail carries. */
function linkActionsIn(message: MessageRow): LinkAction[] {
  const body = `${message.subject}${message.bodyText}${message.bodyHtml}`
  return (['consent', 'withdraw', 'self_service', 'download', 'talent_pool'] as const).filter((action) =>
    body.includes(linkPlaceholder(action)),
  )
}

/** The mail as it leaves: the stored one with its links filled in and our headers. */
export function outgoingMail(
  deps: OutreachDeps,
  message: MessageRow,
  context: CandidacyContext | undefined,
): OutgoingMail {
  const tokens = mailTokens(deps.config.SERVER_SECRET!, message.id, linkActionsIn(message))
  const headers: Record<string, string | PreparedHeader> = { 'X-Candor-Message': message.id }
  if (tokens.withdraw) {
    const unsubscribe = [`<${linkUrl(deps.config, 'withdraw', tokens.withdraw)}>`]
    if (deps.config.MAIL_UNSUBSCRIBE_MAILTO) {
      unsubscribe.push(`<mailto:${deps.config.MAIL_UNSUBSCRIBE_MAILTO}?subject=unsubscribe>`)
    }
    // RFC 8058: one click from the mail client, a POST to our withdraw link, no page needed.
    headers['List-Unsubscribe'] = unsubscribe.join(', ')
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click'
  }
  if (deps.config.mailTransport === 'sparkpost') {
    // Passed as prepared: nodemailer would RFC 2047-encode the quotes and break the JSON.
    // transactional: SparkPost adds no List-Unsubscribe of its own, so ours reaches the candidate.
    headers['X-MSYS-API'] = {
      prepared: true,
      value: JSON.stringify({
        ...(context ? { campaign_id: context.vacancy.id } : {}),
        metadata: {
          candor_message_id: message.id,
          ...(context ? { candor_candidacy_id: context.candidacy.id } : {}),
        },
        options: {
          transactional: true,
          open_tracking: deps.config.TRACKING_OPENS_CLICKS,
          click_tracking: deps.config.TRACKING_OPENS_CLICKS,
        },
      }),
    }
  }
  return {
    from: deps.config.MAIL_FROM,
    to: message.toAddress!,
    subject: fillLinks(message.subject!, tokens),
    text: fillLinks(message.bodyText!, tokens),
    html: fillLinks(message.bodyHtml!, tokens),
    messageId: message.messageIdHeader!,
    headers,
  }
}

/**
 * Records a mail that answers a subject request, rendered now (it needs no re-check before
 * sending: the person asked). Links are placeholders; their tokens derive from the message id.
 */
export async function recordRequestMail(
  deps: Pick<Services, 'clock' | 'config' | 'templates'>,
  tx: Executor,
  input: {
    /** The request the mail is about; absent for other direct mail (a talent-pool renewal). */
    subjectRequestId?: string
    template: MailTemplate
    to: string
    language: 'nl' | 'en'
    facts: Omit<MailFacts, 'links'>
    /** A live candidacy of the person: the mail then carries its withdraw and see-or-delete links. */
    candidacyId?: string | null
    download?: { expiresAt: Date }
    /** A talent-pool renewal: the link to the new consent text, running out at the same time. */
    talentPool?: { personId: string; consentTextHash: string; linkExpiresAt: Date }
    /** Staff mail: a link to the request in the API instead of candidate links. */
    requestLink?: string
    /** `once:` keys make a mail that must not repeat (a reminder) a no-op the second time. */
    dedupeKey?: string
  },
): Promise<string | undefined> {
  const id = randomUUID()
  const now = deps.clock.now()
  const secret = deps.config.SERVER_SECRET!
  const actions: LinkAction[] = [
    ...(input.candidacyId ? (['withdraw', 'self_service'] as const) : []),
    ...(input.download ? (['download'] as const) : []),
    ...(input.talentPool ? (['talent_pool'] as const) : []),
  ]
  const tokens = mailTokens(secret, id, actions)
  const rows = actions.map((action) => ({
    tokenHash: hashLinkToken(tokens[action]!),
    candidacyId: action === 'withdraw' || action === 'self_service' ? input.candidacyId! : null,
    subjectRequestId: action === 'download' ? input.subjectRequestId! : null,
    personId: action === 'talent_pool' ? input.talentPool!.personId : null,
    consentTextHash: action === 'talent_pool' ? input.talentPool!.consentTextHash : null,
    action,
    expiresAt:
      action === 'download'
        ? input.download!.expiresAt
        : action === 'talent_pool'
          ? input.talentPool!.linkExpiresAt
          : null,
    createdAt: now,
  }))
  if (rows.length > 0) await insertLinkTokens(tx, rows)
  const links: MailFacts['links'] = Object.fromEntries(
    actions.map((action) => [action, linkUrl(deps.config, action, linkPlaceholder(action))]),
  )
  if (input.requestLink) links.request = input.requestLink
  const content = renderMail(
    deps.templates,
    input.template,
    input.language,
    mailContext(deps.config, input.language, { ...input.facts, links }),
  )
  const domain = deps.config.MAIL_FROM.match(/@([^>\s]+)/)?.[1] ?? 'candor.localhost'
  const { created } = await insertMessageOnce(tx, {
    id,
    subjectRequestId: input.subjectRequestId ?? null,
    dedupeKey: input.dedupeKey ?? null,
    template: input.template,
    language: input.language,
    status: 'queued',
    toAddress: input.to,
    subject: content.subject,
    bodyText: content.text,
    bodyHtml: content.html,
    messageIdHeader: `<${id}@${domain}>`,
    queuedAt: now,
    statusAt: now,
  })
  return created ? id : undefined
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
        (await isSuppressed(tx, deps.config.SERVER_SECRET!, [normaliseEmail(message.toAddress ?? '')]))
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

/**
 * Re-creates the job of every message still pending in PostgreSQL whose job Redis no longer
 * has (Redis lost its data, a crash between commit and enqueue): no mail is silently lost.
 */
export async function reconcileOutreach(
  deps: OutreachDeps,
  options: { olderThanMs?: number; batch?: number } = {},
) {
  const olderThan = new Date(deps.clock.now().getTime() - (options.olderThanMs ?? 60_000))
  const pending = await listStalePending(deps.db, olderThan, options.batch ?? 1000)
  // The job id is the message id.
  const missing = await jobsToRequeue(
    deps.queues.outreach,
    pending.map((message) => message.id),
  )
  if (missing.length > 0) {
    await addSendJobs(
      deps,
      missing.map(({ id, finishedData }) => {
        // A job that failed after its mail was accepted keeps that: the new one records it, never resends.
        const acceptedAs = sendJobPayload.safeParse(finishedData).data?.acceptedAs
        return acceptedAs ? { messageId: id, acceptedAs } : { messageId: id }
      }),
    )
  }
  return { checked: pending.length, requeued: missing.length }
}

/**
 * Art. 14(3)(a): a legitimate-interest candidacy nobody has written to gets its notice no later
 * than three working days before the one-month deadline: it is queued `leadWorkingDays` ahead.
 */
export async function scheduleArt14Notices(deps: OutreachDeps, leadWorkingDays: number): Promise<number> {
  const jurisdiction = deps.config.JURISDICTION
  const threshold = addWorkingDays(localDate(deps.clock.now(), jurisdiction), leadWorkingDays, jurisdiction)
  const due = await uncontactedNoticesDueBy(deps.db, endOfLocalDay(threshold, jurisdiction))
  let queued = 0
  for (const candidacyId of due) {
    try {
      const { created } = await enqueueOutreach(deps, null, candidacyId, 'art14_notice', {
        dedupeKey: `once:art14_notice:${candidacyId}`,
      })
      if (created) queued++
    } catch (error) {
      // A candidacy that cannot be mailed (no deliverable address, restricted) stays on /dpo/notices.
      if (!(error instanceof AppError)) throw error
    }
  }
  return queued
}

/**
 * Reminds a candidate of an unanswered consent request 7 and 2 days before its link runs out —
 * the nearer one only, once each, and never after an answer (the check before sending cancels it).
 */
export async function scheduleConsentReminders(deps: OutreachDeps): Promise<number> {
  const now = deps.clock.now()
  const open = await openConsentRequests(deps.db, now, new Date(now.getTime() + 7 * 86_400_000))
  let queued = 0
  for (const { candidacyId, expiresAt } of open) {
    const daysLeft = (expiresAt.getTime() - now.getTime()) / 86_400_000
    const reminder = daysLeft <= 2 ? 2 : 7
    try {
      const { created } = await enqueueOutreach(deps, null, candidacyId, 'consent_reminder', {
        dedupeKey: `once:consent_reminder:${candidacyId}:${expiresAt.toISOString()}:${reminder}`,
      })
      if (created) queued++
    } catch (error) {
      if (!(error instanceof AppError)) throw error
    }
  }
  return queued
}
