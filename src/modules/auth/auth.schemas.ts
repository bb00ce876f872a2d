import { z } from 'zod'
import { dateOut } from '../../lib/schemas'
import { roles } from './auth.tables'

export const tokenRequest = z.strictObject({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
})

export const tokenResponse = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('seconds'),
  })
  .meta({ id: 'AccessToken' })

export const newUserBody = z.strictObject({
  email: z
    .email()
    .max(320)
    .meta({ examples: ['recruiter@example.org'] }),
  password: z.string().min(12, 'at least 12 characters').max(1024),
  role: z.enum(roles),
  displayName: z.string().trim().min(1).max(200),
  clientId: z.uuid().optional(),
})

export const userView = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(roles),
    displayName: z.string(),
    clientId: z.uuid().nullable(),
    createdAt: dateOut,
  })
  .meta({ id: 'User' })

export const principalView = z
  .object({ userId: z.uuid(), role: z.enum(roles), clientId: z.uuid().nullable() })
  .meta({ id: 'Principal' })
