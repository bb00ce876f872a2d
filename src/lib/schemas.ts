import { z } from 'zod'
import { PROBLEM_TYPE_BASE, problemCatalogue, problemType } from './problems'

const exampleProblem = problemCatalogue['request.invalid']

/** RFC 9457 problem document: the one shape of every error response. */
export const problemSchema = z
  .object({
    type: z
      .string()
      .describe(`${PROBLEM_TYPE_BASE}<slug>`)
      .meta({ examples: [problemType('request.invalid')] }),
    title: z.string().meta({ examples: [exampleProblem.title] }),
    status: z
      .number()
      .int()
      .meta({ examples: [exampleProblem.status] }),
    code: z
      .string()
      .describe('stable dotted code, e.g. consent.required')
      .meta({ examples: ['request.invalid'] }),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(
        z.object({
          field: z.string().meta({ examples: ['body.email'] }),
          message: z.string().meta({ examples: ['Invalid email address'] }),
        }),
      )
      .optional(),
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

/** A response that is a document rather than JSON (an HTML page, a CSV file), in each media type given. */
export function documentResponse<const MediaTypes extends readonly string[]>(
  description: string,
  mediaTypes: MediaTypes,
) {
  const content = Object.fromEntries(mediaTypes.map((mediaType) => [mediaType, { schema: z.string() }]))
  return { description, content: content as { [Type in MediaTypes[number]]: { schema: z.ZodString } } }
}

/** An HTML page's answer, for the API reference. */
export const htmlPage = (description: string) => documentResponse(description, ['text/html'])

/**
 * The longest path parameter the router matches (Fastify's `maxParamLength`, set in app.ts): a
 * longer one never reaches a route, so schemas document this bound and no other.
 */
export const MAX_PARAM_LENGTH = 100

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
}

/**
 * The example instant in the API reference. Without one, Swagger UI makes up a value from the
 * validation pattern (a year like 3349); examples change the documentation only, never validation.
 */
export const EXAMPLE_INSTANT = '2026-03-02T09:00:00Z'

/** An ISO 8601 instant with an offset, kept as a string (query parameters, filters). */
export const isoDateTimeString = z.iso.datetime({ offset: true }).meta({ examples: [EXAMPLE_INSTANT] })

/** An instant on the wire is an ISO 8601 string; in code it is a Date (decoded on input, encoded on output). */
export const isoDateTime = z.codec(isoDateTimeString, z.date().meta({ examples: [EXAMPLE_INSTANT] }), {
  decode: (value) => new Date(value),
  encode: (value) => value.toISOString(),
})
export const dateOut = isoDateTime

/** The last instant an ISO 8601 string without an expanded year can name. */
const LAST_INSTANT = '9999-12-31T23:59:59.999Z'

/**
 * An instant given by a client, refused unless it lies in a range that makes sense for its
 * field: a year like 0020 is a typing mistake, and PostgreSQL's year 0 and years past 9999
 * are outside what ISO 8601 strings and the ledger can carry. "Not in the future" needs the
 * service's clock and is checked by the service.
 */
export function instantInput(earliest: string, description: string) {
  const first = Date.parse(earliest)
  const last = Date.parse(LAST_INSTANT)
  const wire = isoDateTimeString
    .refine((value) => Date.parse(value) >= first, `must not be before ${earliest.slice(0, 10)}`)
    .refine((value) => Date.parse(value) <= last, 'must not be after 9999-12-31')
    .describe(`${description} (from ${earliest.slice(0, 10)})`)
  return z.codec(wire, z.date().meta({ examples: [EXAMPLE_INSTANT] }), {
    decode: (value) => new Date(value),
    encode: (value) => value.toISOString(),
  })
}

/** An instant that bounds a list (`dueBefore`, `from`, `to`): any year from 1970 to 9999. */
export const instantFilter = instantInput('1970-01-01T00:00:00Z', 'an ISO 8601 instant with an offset')
