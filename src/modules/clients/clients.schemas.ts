import { z } from 'zod'
import { dateOut, instantInput } from '../../lib/schemas'
import { agreementRoles } from './clients.tables'

export const newClientBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code')
    .meta({ examples: ['NL'] })
    .describe(
      'where the client is established: transfers outside the EEA are shown in the records of processing',
    ),
})

export const agreementView = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    version: z.string(),
    signedAt: dateOut,
    role: z.enum(agreementRoles),
    documentRef: z.string(),
    recordedBy: z.uuid(),
    recordedAt: dateOut,
  })
  .meta({ id: 'ProcessingAgreement' })

export const clientView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    country: z.string(),
    createdAt: dateOut,
    agreements: z.array(agreementView),
  })
  .meta({ id: 'Client' })

export const newAgreementBody = z.strictObject({
  version: z.string().trim().min(1).max(50),
  signedAt: instantInput('1990-01-01T00:00:00Z', 'when the agreement was signed; not in the future'),
  role: z.enum(agreementRoles).describe('our role under the agreement'),
  documentRef: z.string().trim().min(1).max(500).describe('where the signed document is kept'),
})
