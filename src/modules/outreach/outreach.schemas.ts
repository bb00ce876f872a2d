import { z } from 'zod'
import { languages } from '../../lib/languages'
import { dateOut, instantFilter } from '../../lib/schemas'
import { noticeStatuses } from '../candidacies/candidacies.tables'
import { messageStatuses } from '../messages/messages.tables'
import { staffTemplates } from './outreach.service'

export const outreachBody = z.strictObject({
  template: z.enum(staffTemplates),
  language: z.enum(languages).optional().describe("the person's language unless given"),
})

export const outreachAccepted = z
  .object({ messageId: z.uuid(), status: z.enum(messageStatuses), created: z.boolean() })
  .meta({ id: 'OutreachAccepted' })

export const noticesQuery = z.strictObject({
  dueBefore: instantFilter.optional().describe('default: 7 days from now'),
})

export const noticeView = z
  .object({
    candidacyId: z.uuid(),
    vacancyId: z.uuid(),
    vacancyTitle: z.string(),
    legalBasis: z.string(),
    noticeStatus: z.enum(noticeStatuses),
    noticeDueAt: dateOut,
    overdue: z.boolean(),
  })
  .meta({ id: 'NoticeDue' })
