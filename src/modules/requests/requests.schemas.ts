import { z } from 'zod'
import { languages } from '../../lib/languages'
import { dateOut, instantFilter, instantInput, pageQuery } from '../../lib/schemas'
import { requestChannels, requestStatuses, requestTypes } from './requests.tables'

export const newRequestBody = z.strictObject({
  type: z.enum(requestTypes),
  personId: z.uuid().optional(),
  email: z.string().trim().max(320).pipe(z.email()).optional(),
  // The GDPR applies from 25 May 2018 (Art. 99(2)): no subject request under it came earlier.
  receivedAt: instantInput(
    '2018-05-25T00:00:00Z',
    'when the request reached us: the deadline runs from the day after; not in the future',
  ),
  channel: z.enum(requestChannels),
  note: z.string().trim().max(5000).optional(),
  language: z.enum(languages).optional(),
})

export const requestListQuery = z.strictObject({
  status: z.enum(requestStatuses).optional(),
  dueBefore: instantFilter.optional(),
  ...pageQuery,
})

export const taskParams = z.strictObject({ id: z.uuid(), taskId: z.uuid() })

const transitionView = z.object({
  status: z.string(),
  at: z.string(),
  by: z.string().nullable(),
  step: z.string().optional(),
})

export const requestView = z
  .object({
    id: z.uuid(),
    type: z.enum(requestTypes),
    status: z.enum(requestStatuses),
    currentStep: z.string().nullable(),
    personId: z.uuid().nullable(),
    contactEmail: z.string().nullable(),
    language: z.enum(languages),
    channel: z.enum(requestChannels),
    note: z.string().nullable(),
    receivedAt: dateOut,
    dueAt: dateOut,
    extendedDueAt: dateOut.nullable(),
    effectiveDueAt: dateOut,
    extensionReason: z.string().nullable(),
    verifiedAt: dateOut.nullable(),
    verificationMethod: z.string().nullable(),
    ownerId: z.uuid().nullable(),
    closedAt: dateOut.nullable(),
    rejectionReason: z.string().nullable(),
    transitions: z.array(transitionView),
    result: z.record(z.string(), z.unknown()).nullable(),
    tasks: z.array(
      z.object({
        id: z.uuid(),
        description: z.string(),
        confirmedBy: z.uuid().nullable(),
        confirmedAt: dateOut.nullable(),
      }),
    ),
    createdAt: dateOut,
  })
  .meta({ id: 'SubjectRequest' })

export const deadlineView = z
  .object({
    id: z.uuid(),
    type: z.enum(requestTypes),
    status: z.enum(requestStatuses),
    ownerId: z.uuid().nullable(),
    receivedAt: dateOut,
    dueAt: dateOut,
    extended: z.boolean(),
    overdue: z.boolean(),
    dueSoon: z.boolean(),
  })
  .meta({ id: 'RequestDeadline' })
