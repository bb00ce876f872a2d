import { derivedLinkToken } from '../../lib/tokens'
import type { OutgoingMail, PreparedHeader } from '../../plugins/mailer'
import type { Services } from '../../services'
import type { CandidacyContext } from '../candidacies/candidacies.service'
import { linkUrl } from '../consent/links.service'
import type { MailTemplate } from '../messages/mail-templates'
import type { MessageRow } from '../messages/messages.service'
import { fillLinks, type LinkAction, linkPlaceholder } from './outreach.render'

/** The tokens of a mail's links, derived from its id; their hashes are what the database knows. */
export function mailTokens(
  secret: string,
  messageId: string,
  actions: LinkAction[],
): Partial<Record<LinkAction, string>> {
  return Object.fromEntries(actions.map((action) => [action, derivedLinkToken(secret, messageId, action)]))
}

export const linksIn = (template: MailTemplate): LinkAction[] =>
  template === 'consent_request' || template === 'consent_reminder'
    ? ['consent', 'withdraw', 'self_service']
    : ['withdraw', 'self_service']

/** The link actions whose placeholders a stored mail carries. */
function linkActionsIn(message: MessageRow): LinkAction[] {
  const body = `${message.subject}${message.bodyText}${message.bodyHtml}`
  return (['consent', 'withdraw', 'self_service', 'download', 'talent_pool'] as const).filter((action) =>
    body.includes(linkPlaceholder(action)),
  )
}

/** The mail as it leaves: the stored one with its links filled in and our headers. */
export function outgoingMail(
  deps: Pick<Services, 'config'>,
  message: MessageRow,
  context: CandidacyContext | undefined,
): OutgoingMail {
  const tokens = mailTokens(deps.config.SERVER_SECRET, message.id, linkActionsIn(message))
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
