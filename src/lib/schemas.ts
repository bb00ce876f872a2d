import { z } from 'zod'
import { PROBLEM_TYPE_BASE } from './problems'

/** RFC 9457 problem document: the one shape of every error response. */
export const problemSchema = z
  .object({
    type: z.string().describe(`${PROBLEM_TYPE_BASE}<slug>`),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('stable dotted code, e.g. consent.required'),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' })

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503

/** A route's responses: its success schemas plus the problem schema for each error status it can answer. */
export function responses<Success extends Record<number, z.ZodType>>(
  success: Success,
  errors: ErrorStatus[] = [],
) {
  const problems = Object.fromEntries(
    [...new Set([400, 401, 403, ...errors])].map((status) => [status, problemSchema]),
  )
  return { ...problems, ...success } as unknown as Success & Record<ErrorStatus, typeof problemSchema>
}

export const idParams = z.strictObject({ id: z.uuid() })

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
}

/** An instant on the wire is an ISO 8601 string; in code it is a Date (decoded on input, encoded on output). */
export const isoDateTime = z.codec(z.iso.datetime({ offset: true }), z.date(), {
  decode: (value) => new Date(value),
  encode: (value) => value.toISOString(),
})
export const dateOut = isoDateTime
