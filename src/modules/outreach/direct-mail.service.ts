import { randomUUID } from 'node:crypto'
import type { Executor } from '../../db/client'
import { hashLinkToken } from '../../lib/tokens'
import type { Services } from '../../services'
import { insertLinkTokens, linkUrl } from '../consent/links.service'
import type { MailTemplate } from '../messages/mail-templates'
import { insertMessageOnce } from '../messages/messages.service'
import { mailTokens } from './mail-links'
import { type LinkAction, linkPlaceholder, type MailFacts, mailContext, renderMail } from './outreach.render'

/**
 * Records a mail that answers a subject request, rendered now (it needs no re-check before
 * sending: the person asked). Links are placeholders; their tokens derive from the message id.
 */
export async function recordDirectMail(
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
  const secret = deps.config.SERVER_SECRET
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
