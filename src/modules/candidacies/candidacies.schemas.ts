import { z } from 'zod'
import { languages } from '../../lib/languages'
import { dateOut, instantInput, pageQuery } from '../../lib/schemas'
import { identifierKinds } from '../people/people.tables'
import { legalBases } from '../vacancies/vacancies.tables'
import {
  consentStates,
  factKinds,
  noticeStatuses,
  sourceTypes,
  specialBases,
  specialCategories,
  stages,
} from './candidacies.tables'

const url = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .meta({ examples: ['https://www.linkedin.com/in/sanne-de-vries'] })

export const sourceBody = z.strictObject({
  type: z.enum(sourceTypes),
  url: url.optional(),
  collectedAt: instantInput(
    '2000-01-01T00:00:00Z',
    'when the data was collected from the source; not in the future',
  ),
})

export const factBody = z.strictObject({
  kind: z.enum(factKinds),
  value: z.string().trim().min(1).max(5000),
  source: sourceBody,
  special: z
    .strictObject({
      category: z.enum(specialCategories),
      basis: z
        .enum(specialBases)
        .optional()
        .describe('explicit_consent needs live consent; manifestly_public needs source.url'),
    })
    .optional()
    .describe('Art. 9 special category: refused unless its basis holds'),
})

export const identifierBody = z.strictObject({
  kind: z.enum(identifierKinds),
  value: z.string().trim().min(1).max(100),
})

// Spacing around an address is a typing accident, not a different address.
const email = z
  .string()
  .trim()
  .max(320)
  .meta({ examples: ['sanne@example.org'] })
  .pipe(z.email())
const fullName = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .meta({ examples: ['Sanne de Vries'] })
const phone = z.string().trim().min(3).max(40)
const location = z.string().trim().min(1).max(300)
const headline = z.string().trim().min(1).max(500)

export const sourcingBody = z.strictObject({
  person: z.strictObject({
    fullName,
    emails: z.array(email).min(1).max(5),
    phone: phone.optional(),
    location: location.optional(),
    headline: headline.optional(),
    language: z.enum(languages).optional().describe("the person's language; the vacancy's by default"),
  }),
  source: sourceBody.describe('where the contact data came from'),
  facts: z.array(factBody).max(200).default([]),
  identifiers: z
    .array(identifierBody)
    .max(5)
    .default([])
    .describe('high-risk identifiers, encrypted per field'),
})

export const factsBody = z.strictObject({ facts: z.array(factBody).min(1).max(200) })

export const factPatchBody = z
  .strictObject({ kind: z.enum(factKinds), value: z.string().trim().min(1).max(5000), source: sourceBody })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'change at least one field')

export const personPatchBody = z
  .strictObject({
    fullName,
    emails: z.array(email).min(1).max(5),
    phone: phone.nullable(),
    location: location.nullable(),
    headline: headline.nullable(),
    language: z.enum(languages),
    identifiers: z
      .array(
        z.strictObject({
          kind: z.enum(identifierKinds),
          value: z.string().trim().min(1).max(100).nullable(),
        }),
      )
      .max(5),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'change at least one field')

export const stageBody = z.strictObject({
  stage: z.enum(['contacted', 'consented', 'introduced', 'hired', 'rejected']),
  reason: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .describe('why: every stage decision names a human and a reason (Art. 22)'),
})

export const candidacyListQuery = z.strictObject({
  stage: z.enum(stages).optional(),
  consentState: z.enum(consentStates).optional(),
  ...pageQuery,
})

export const factIdParams = z.strictObject({ id: z.uuid(), factId: z.uuid() })

const sourceView = z.object({ type: z.enum(sourceTypes), url: z.string().nullable(), collectedAt: dateOut })

export const factView = z
  .object({
    id: z.uuid(),
    kind: z.enum(factKinds),
    value: z.string(),
    specialCategory: z.enum(specialCategories).nullable(),
    specialBasis: z.enum(specialBases).nullable(),
    source: sourceView.extend({ collectedBy: z.uuid() }),
  })
  .meta({ id: 'Fact' })

const personView = z.object({
  id: z.uuid(),
  fullName: z.string(),
  emails: z.array(z.object({ address: z.string(), undeliverable: z.boolean() })),
  phone: z.string().nullable(),
  location: z.string().nullable(),
  headline: z.string().nullable(),
  language: z.enum(languages),
  restricted: z.boolean(),
})

/**
 * One shape for both views: a client user's (introduced) view leaves out what only staff may
 * see — sources, notes, special categories, identifiers, deadlines — and only declared fields are written.
 */
export const candidacyView = z
  .object({
    id: z.uuid(),
    vacancyId: z.uuid(),
    stage: z.enum(stages),
    introducedAt: dateOut.nullable(),
    person: personView.nullable(),
    facts: z.array(factView),
    legalBasis: z.enum(legalBases).optional(),
    consentState: z.enum(consentStates).optional(),
    consentExpiresAt: dateOut.nullable().optional(),
    source: sourceView.extend({ sourcedBy: z.uuid() }).optional(),
    notice: z
      .object({ status: z.enum(noticeStatuses), dueAt: dateOut.nullable(), sentAt: dateOut.nullable() })
      .optional(),
    retainUntil: dateOut.nullable().optional(),
    identifiers: z
      .array(z.object({ kind: z.enum(identifierKinds), value: z.string() }))
      .optional()
      .describe('decrypted only in this single read, for recruiters, DPOs and admins'),
    stageChangedAt: dateOut.optional(),
    stageChangedBy: z.uuid().nullable().optional(),
    createdAt: dateOut.optional(),
    updatedAt: dateOut.optional(),
  })
  .meta({ id: 'Candidacy' })

export const candidacyListItemView = z
  .object({
    id: z.uuid(),
    stage: z.enum(stages),
    consentState: z.enum(consentStates).optional(),
    introducedAt: dateOut.nullable(),
    noticeDueAt: dateOut.nullable().optional(),
    person: z
      .object({
        id: z.uuid(),
        fullName: z.string(),
        headline: z.string().nullable(),
        location: z.string().nullable(),
      })
      .nullable(),
    createdAt: dateOut,
  })
  .meta({ id: 'CandidacyListItem' })
