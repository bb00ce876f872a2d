import { Validator } from '@seriousme/openapi-schema-validator'
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app'
import {
  hostileStrings,
  type OpenApiDocument,
  type Operation,
  ResponseChecker,
  SchemaArbitraries,
} from '../helpers/openapi'
import { json, requestConsent, seedOpenVacancy, sourceCandidate } from '../helpers/seed'

/**
 * Walks every operation of the OpenAPI document as every kind of caller, with generated valid
 * and hostile inputs: no answer may be a 5xx, and each must be a documented status with its
 * documented content type and, for JSON, its documented shape. Bounded by WALK_RUNS per
 * operation and caller; WALK_SEED replays a run.
 */
const RUNS = Number(process.env.WALK_RUNS ?? 3)
const SEED = Number(process.env.WALK_SEED ?? 20261206)
const WEBHOOK_AUTH = 'Bearer webhook-secret-for-the-walk'

let t: TestApp
let document: OpenApiDocument
let callers: Array<[string, Record<string, string>]>
/** Ids that exist, by the first path segment of the operation that takes them. */
let known: Record<string, string[]>

beforeAll(async () => {
  t = await startTestApp({ env: { SPARKPOST_WEBHOOK_AUTH: WEBHOOK_AUTH, MAIL_TRANSPORT: 'capture' } })
  const vacancy = await seedOpenVacancy(t)
  const candidacy = await sourceCandidate<{
    id: string
    person: { id: string }
    facts: Array<{ id: string }>
  }>(t, vacancy)
  const links = await requestConsent(t, candidacy.id, vacancy.recruiter)
  const request = json<{ id: string }>(
    await t.request({
      method: 'POST',
      url: '/requests',
      as: vacancy.dpo,
      payload: {
        type: 'access',
        personId: candidacy.person.id,
        receivedAt: '2026-01-03T09:00:00Z',
        channel: 'email',
      },
    }),
    201,
  )
  const admin = await t.user('admin')
  const client = await t.user('client', { clientId: vacancy.clientId })
  const tokenOf = (url: string) => url.split('/').pop() ?? ''
  known = {
    clients: [vacancy.clientId],
    vacancies: [vacancy.id],
    candidacies: [candidacy.id],
    requests: [request.id],
    people: [candidacy.person.id],
    facts: candidacy.facts.map((fact) => fact.id),
    tokens: [tokenOf(links.consentUrl), tokenOf(links.withdrawUrl)],
  }
  callers = [
    ['anonymous', {}],
    ['admin', admin.auth],
    ['recruiter', vacancy.recruiter.auth],
    ['dpo', vacancy.dpo.auth],
    ['client', client.auth],
    ['webhook', { authorization: WEBHOOK_AUTH }],
  ]
  document = json<OpenApiDocument>(await t.app.inject({ url: '/docs/json' }), 200)
}, 60_000)
afterAll(() => t.close())

const pathSegmentValues = fc.constantFrom(...hostileStrings.filter(Boolean), 'x'.repeat(300), '%00', '..')

/** A path parameter: mostly an id that exists for this kind of resource, sometimes a random or hostile one. */
function pathValue(path: string, name: string): fc.Arbitrary<string> {
  const pool =
    name === 'token'
      ? known.tokens
      : name === 'factId'
        ? known.facts
        : (known[path.split('/')[1] ?? ''] ?? [])
  const existing = pool && pool.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...pool) }] : []
  return fc.oneof(
    ...existing,
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: pathSegmentValues },
  )
}

const asQueryValue = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))

/** One generated request for an operation: path, query and body, valid or hostile. */
function requestFor(path: string, method: string, operation: Operation): fc.Arbitrary<InjectOptions> {
  const arbitraries = new SchemaArbitraries(document)
  const parameters = operation.parameters ?? []
  const pathParameters = parameters.filter((parameter) => parameter.in === 'path')
  const queryParameters = parameters.filter((parameter) => parameter.in === 'query')
  const bodies = Object.entries(operation.requestBody?.content ?? {})
  return fc.boolean().chain((hostile) =>
    fc
      .record({
        path: fc.tuple(...pathParameters.map((parameter) => pathValue(path, parameter.name))),
        query: fc.tuple(
          ...queryParameters.map((parameter) =>
            fc.option(arbitraries.valueOf(parameter.schema, hostile), { nil: undefined }),
          ),
        ),
        unknownQuery: hostile
          ? fc.option(fc.constantFrom('foo=bar', 'limit=1&limit=2', 'lang=xx'))
          : fc.constant(null),
        body:
          bodies.length === 0
            ? fc.constant(undefined)
            : fc
                .constantFrom(...bodies)
                .chain(([mediaType, media]) =>
                  arbitraries.valueOf(media.schema ?? {}, hostile).map((value) => ({ mediaType, value })),
                ),
        contentType: hostile
          ? fc.constantFrom(undefined, 'text/plain', 'application/xml', 'application/json; charset=latin1')
          : fc.constant(undefined),
      })
      .map(({ path: values, query, unknownQuery, body, contentType }) => {
        let url = path
        pathParameters.forEach((parameter, index) => {
          url = url.replace(`{${parameter.name}}`, encodeURIComponent(values[index] ?? ''))
        })
        const search = new URLSearchParams()
        queryParameters.forEach((parameter, index) => {
          if (query[index] !== undefined) search.append(parameter.name, asQueryValue(query[index]))
        })
        const queryString = [search.toString(), unknownQuery].filter(Boolean).join('&')
        const options: InjectOptions = {
          method: method.toUpperCase() as InjectOptions['method'],
          url: queryString ? `${url}?${queryString}` : url,
          headers: {},
        }
        if (body) {
          const isForm = body.mediaType !== 'application/json'
          options.payload = isForm
            ? new URLSearchParams(
                Object.entries((body.value ?? {}) as Record<string, unknown>).map(
                  ([key, value]): [string, string] => [key, asQueryValue(value)],
                ),
              ).toString()
            : JSON.stringify(body.value)
          options.headers = { 'content-type': contentType ?? body.mediaType }
        }
        return options
      }),
  )
}

const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json')

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI document', async () => {
    const result = await new Validator().validate(document as unknown as Record<string, unknown>)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it('documents every error answer of the API as a problem document', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue
          const types = Object.keys(response.content ?? {})
          expect(types.length, `${method} ${path} ${status}`).toBeGreaterThan(0)
          for (const type of types)
            expect(['application/problem+json', 'text/html'], `${method} ${path} ${status}`).toContain(type)
        }
      }
    }
  })
})

describe('every operation, as every caller', () => {
  it('answers generated valid and hostile input with a documented answer, never a 5xx', async () => {
    const checker = new ResponseChecker(document)
    // Every distinct way an answer broke the contract, with one example each: the whole picture at once.
    const broken = new Map<string, string>()
    let requests = 0
    // Operations the walk got a success from: inputs that only ever bounce off validation prove little.
    const succeeded = new Set<string>()
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        // A login runs scrypt on purpose; a few runs cover its inputs.
        const runs = path === '/auth/token' ? 1 : RUNS
        for (const [caller, headers] of callers) {
          await fc.assert(
            fc.asyncProperty(requestFor(path, method, operation), async (options) => {
              requests++
              const response = await t.app.inject({ ...options, headers: { ...options.headers, ...headers } })
              const status = response.statusCode
              const mediaType = String(response.headers['content-type'] ?? '')
                .split(';')[0]!
                .trim()
              const sent = `${String((options.headers as Record<string, string>)['content-type'] ?? '')} ${String(options.payload ?? '').slice(0, 160)}`
              const example = `${caller} ${options.method} ${String(options.url).slice(0, 160)} [${sent}]: ${response.body.slice(0, 200)}`
              const fault = (what: string) => {
                const key = `${method.toUpperCase()} ${path} ${status} ${what}`
                if (!broken.has(key)) broken.set(key, example)
              }
              if (status >= 500) return fault('is a server error')
              if (status < 300) succeeded.add(`${method.toUpperCase()} ${path}`)
              const documented = operation.responses[String(status)]
              if (!documented) return fault('is not a documented status')
              const content = documented.content ?? {}
              if (Object.keys(content).length === 0) return
              if (!(mediaType in content))
                return fault(`answers ${mediaType}, not ${Object.keys(content).join(' or ')}`)
              const schema = content[mediaType]?.schema
              const mismatch =
                schema && isJson(mediaType) ? checker.mismatch(schema, response.json()) : undefined
              if (mismatch) fault(`body does not match its schema: ${mismatch}`)
            }),
            { numRuns: runs, seed: SEED },
          )
        }
      }
    }
    expect(Object.fromEntries(broken)).toEqual({})
    expect(requests).toBeGreaterThan(Object.keys(document.paths).length * callers.length)
    if (process.env.WALK_REPORT) console.info([...succeeded].sort().join('\n'))
    expect(succeeded.size).toBeGreaterThanOrEqual(30)
    // The walk leaves the service healthy and serving.
    json(await t.app.inject({ url: '/health/ready' }), 200)
    json(await t.app.inject({ url: `/vacancies/${known.vacancies![0]}`, headers: callers[2]![1] }), 200)
  }, 300_000)
})
