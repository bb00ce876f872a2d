/** Every kind of mail Candor sends; the templates are templates/mail/<kind>/{subject,text,html}.<lang>.eta. */
export const mailTemplates = [
  'consent_request',
  'consent_reminder',
  'art14_notice',
  'introduction_confirmation',
  'request_received',
  'request_extended',
  'request_completed',
  'dpo_deadline_reminder',
  'talent_pool_renewal',
] as const
export type MailTemplate = (typeof mailTemplates)[number]
/** Mails that carry the full Art. 14 information: sending one fulfils the notice duty. */
export const noticeTemplates: ReadonlySet<string> = new Set<MailTemplate>(['consent_request', 'art14_notice'])
