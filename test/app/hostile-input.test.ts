import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app'
import {
  json,
  personalDataCounts,
  type SeededVacancy,
  seedOpenVacancy,
  sourcingPayload,
} from '../helpers/seed'

const WEBHOOK_AUTH = 'Bearer webhook-secret-for-tests'
let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp({ env: { SPARKPOST_WEBHOOK_AUTH: WEBHOOK_AUTH } })
  vacancy = await seedOpenVacancy(t)
})
afterAll(() => t.close())

function fieldErrors(response: { statusCode: number; body: string; json(): unknown }) {
  expect(response.statusCode, response.body).toBe(400)
  return (response.json() as { errors?: Array<{ field: string; message: string }> }).errors ?? []
}

const agreement = (signedAt: string) =>
  t.request({
    method: 'POST',
    url: `/clients/${vacancy.clientId}/agreements`,
    as: vacancy.recruiter,
    payload: { version: '2026-2', signedAt, role: 'controller', documentRef: 'dms://agreements/acme-2' },
  })

describe('dates and instants', () => {
  it.each([
    ['year 0020', '0020-06-15T00:00:00Z', 'must not be before 1990-01-01'],
    ['year 0099', '0099-06-15T00:00:00Z', 'must not be before 1990-01-01'],
    ['before 1990', '1989-12-31T23:59:59Z', 'must not be before 1990-01-01'],
    ['in the future', '2099-06-15T00:00:00Z', 'cannot be in the future'],
  ])('refuses an agreement signed %s, and the client still reads', async (_name, signedAt, message) => {
    expect(fieldErrors(await agreement(signedAt))).toEqual([{ field: 'body.signedAt', message }])
    const client = json<{ agreements: Array<{ signedAt: string }> }>(
      await t.request({ method: 'GET', url: `/clients/${vacancy.clientId}`, as: vacancy.recruiter }),
      200,
    )
    expect(client.agreements.map((row) => row.signedAt)).toEqual(['2026-01-02T10:00:00.000Z'])
    json(await t.request({ method: 'GET', url: '/clients', as: vacancy.recruiter }), 200)
  })

  it('keeps an agreement signed on the first plausible day exactly as written', async () => {
    const row = json<{ signedAt: string }>(await agreement('1990-01-01T00:00:00Z'), 201)
    expect(row.signedAt).toBe('1990-01-01T00:00:00.000Z')
  })

  it.each([
    ['year 0020', '0020-06-15T00:00:00Z', 'must not be before 2000-01-01'],
    ['in the future', '2099-06-15T00:00:00Z', 'cannot be in the future'],
  ])('refuses a source collected %s and writes nothing', async (_name, collectedAt, message) => {
    const before = await personalDataCounts(t)
    const errors = fieldErrors(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/candidacies`,
        as: vacancy.recruiter,
        payload: sourcingPayload({ collectedAt }),
      }),
    )
    expect(errors).toContainEqual({ field: 'body.source.collectedAt', message })
    expect(await personalDataCounts(t)).toEqual(before)
    json(
      await t.request({ method: 'GET', url: `/vacancies/${vacancy.id}/candidacies`, as: vacancy.recruiter }),
      200,
    )
  })

  it('refuses a subject request received before the GDPR applied (25 May 2018)', async () => {
    const errors = fieldErrors(
      await t.request({
        method: 'POST',
        url: '/requests',
        as: vacancy.dpo,
        payload: {
          type: 'access',
          email: 'someone@mail.test',
          receivedAt: '1900-01-01T00:00:00Z',
          channel: 'email',
        },
      }),
    )
    expect(errors).toEqual([{ field: 'body.receivedAt', message: 'must not be before 2018-05-25' }])
  })

  it.each(['/requests', '/dpo/notices'])('filters %s by dueBefore', async (path) => {
    json(
      await t.request({ method: 'GET', url: `${path}?dueBefore=2026-12-31T00:00:00Z`, as: vacancy.dpo }),
      200,
    )
    const errors = fieldErrors(
      await t.request({ method: 'GET', url: `${path}?dueBefore=0020-12-31T00:00:00Z`, as: vacancy.dpo }),
    )
    expect(errors).toEqual([{ field: 'querystring.dueBefore', message: 'must not be before 1970-01-01' }])
  })
})

describe('the NUL character', () => {
  it.each([
    ['a client name', '/clients', { name: 'Acme\u0000', country: 'NL' }, 'body.name'],
    ['a nested fact', 'SOURCING', null, 'body.facts.0.value'],
  ])('in %s is a 400 naming the field, and nothing is stored', async (_name, path, payload, field) => {
    const before = await personalDataCounts(t)
    const body =
      payload ??
      sourcingPayload({
        facts: [
          {
            kind: 'skill',
            value: 'Type\u0000Script',
            source: { type: 'github', url: 'https://github.com/x', collectedAt: '2026-01-02T10:00:00Z' },
          },
        ],
      })
    const url = path === 'SOURCING' ? `/vacancies/${vacancy.id}/candidacies` : path
    const errors = fieldErrors(await t.request({ method: 'POST', url, as: vacancy.recruiter, payload: body }))
    expect(errors).toEqual([{ field, message: 'must not contain the NUL character (U+0000)' }])
    expect(await personalDataCounts(t)).toEqual(before)
  })

  it('in a webhook event refuses the batch with 400, not 500', async () => {
    const response = await t.request({
      method: 'POST',
      url: '/webhooks/sparkpost',
      headers: { authorization: WEBHOOK_AUTH },
      payload: [
        {
          msys: {
            message_event: { event_id: 'nul-1', type: 'delivery', timestamp: 1767225600, note: 'a\u0000b' },
          },
        },
      ],
    })
    expect(fieldErrors(response)).toEqual([
      { field: 'body.0.msys.message_event.note', message: 'must not contain the NUL character (U+0000)' },
    ])
  })
})

describe('webhook timestamps', () => {
  it.each([1e300, 253_402_300_800, -1, '1e300'])(
    'refuses the batch for timestamp %s with 400',
    async (timestamp) => {
      const response = await t.request({
        method: 'POST',
        url: '/webhooks/sparkpost',
        headers: { authorization: WEBHOOK_AUTH },
        payload: [{ msys: { message_event: { event_id: `ts-${timestamp}`, type: 'delivery', timestamp } } }],
      })
      expect(response.statusCode, response.body).toBe(400)
      expect(response.json()).toMatchObject({ code: 'webhook.malformed_batch' })
    },
  )
})

describe("the router's refusals", () => {
  it.each([
    [
      'a path parameter longer than the router takes',
      `/clients/${'a'.repeat(150)}`,
      414,
      'request.uri_too_long',
    ],
    ['a URL that does not decode', '/clients/%E0%A4%A', 400, 'request.invalid'],
  ])('answers %s with a problem document', async (_name, url, status, code) => {
    const response = await t.request({ method: 'GET', url, as: vacancy.recruiter })
    expect(response.statusCode).toBe(status)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json()).toMatchObject({ status, code })
  })

  it('refuses a query parameter an operation does not take, the same everywhere', async () => {
    for (const url of ['/clients?foo=bar', '/vacancies?foo=bar', '/health/ready?foo=bar']) {
      const response = await t.request({ method: 'GET', url, as: vacancy.recruiter })
      expect(fieldErrors(response), url).toEqual([{ field: 'querystring.foo', message: 'unknown field' }])
    }
  })
})
