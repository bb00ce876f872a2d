import { z } from 'zod'
import { languages } from '../../lib/languages'
import { dateOut, pageQuery } from '../../lib/schemas'
import { dpiaReasons, legalBases, vacancyStatuses } from './vacancies.tables'

const purpose = z
  .string()
  .trim()
  .min(20, 'describe the purpose in at least 20 characters: candidates read it')
  .max(5000)
  .describe('shown to candidates in mail and on the consent page')

export const newVacancyBody = z.strictObject({
  clientId: z.uuid(),
  title: z.string().trim().min(1).max(200),
  purpose,
  language: z.enum(languages).default('nl'),
  legalBasis: z.enum(legalBases),
  retentionDays: z.number().int().min(1).max(730).default(28),
  processesSpecialCategories: z
    .boolean()
    .default(false)
    .describe('the vacancy needs special-category data (Art. 9): a DPIA is required'),
  profiling: z.boolean().default(false).describe('the vacancy involves profiling: a DPIA is required'),
})

export const vacancyPatchBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    purpose,
    language: z.enum(languages),
    legalBasis: z.enum(legalBases),
    retentionDays: z.number().int().min(1).max(730),
    profiling: z.boolean(),
    status: z.enum(vacancyStatuses),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'change at least one field')

export const assessmentBody = z.strictObject({
  purposeTest: z.string().trim().min(1).max(10_000).describe('the legitimate interest pursued'),
  necessityTest: z.string().trim().min(1).max(10_000).describe('why processing is necessary for it'),
  balancingTest: z
    .string()
    .trim()
    .min(1)
    .max(10_000)
    .describe("why the candidate's interests do not override it"),
})

export const dpiaBody = z.strictObject({
  reference: z.string().trim().min(1).max(500).describe('where the DPIA document is kept'),
  summary: z.string().trim().min(1).max(10_000).describe('risks found and the measures taken'),
})

export const vacancyListQuery = z.strictObject({
  status: z.enum(vacancyStatuses).optional(),
  clientId: z.uuid().optional(),
  ...pageQuery,
})

const assessmentView = z.object({
  purposeTest: z.string(),
  necessityTest: z.string(),
  balancingTest: z.string(),
  recordedBy: z.uuid(),
  recordedAt: dateOut,
  approvedBy: z.uuid().nullable(),
  approvedAt: dateOut.nullable(),
})

const dpiaView = z.object({
  reference: z.string(),
  summary: z.string(),
  recordedBy: z.uuid(),
  recordedAt: dateOut,
})

export const vacancyView = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    title: z.string(),
    purpose: z.string(),
    language: z.enum(languages),
    legalBasis: z.enum(legalBases),
    retentionDays: z.number().int(),
    status: z.enum(vacancyStatuses),
    profiling: z.boolean(),
    dpiaRequired: z.boolean(),
    dpiaReasons: z.array(z.enum(dpiaReasons)),
    assessment: assessmentView.nullable(),
    dpia: dpiaView.nullable(),
    createdBy: z.uuid(),
    createdAt: dateOut,
    updatedAt: dateOut,
    openedAt: dateOut.nullable(),
    closedAt: dateOut.nullable(),
  })
  .meta({ id: 'Vacancy' })
