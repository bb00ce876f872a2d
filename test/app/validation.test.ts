import { count } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clients } from '../../src/db/schema'
import { startTestApp, type TestApp, type TestUser } from '../helpers/app'

let t: TestApp
let recruiter: TestUser

beforeAll(async () => {
  t = await startTestApp({ env: { BODY_LIMIT_BYTES: '2048' } })
  recruiter = await t.user('recruiter')
})
afterAll(() => t.close())

const clientCount = async () => (await t.app.db.select({ n: count() }).from(clients))[0]!.n

async function postClient(payload: string, contentType = 'application/json') {
  return t.request({
    method: 'POST',
    url: '/clients',
    as: recruiter,
    payload,
    headers: { 'content-type': contentType },
  })
}

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"name": "Acme", ', 400, 'request.malformed_body', undefined],
    ['an empty JSON body', '', 400, 'request.malformed_body', undefined],
    ['a wrong type', JSON.stringify({ name: 42, country: 'NL' }), 400, 'request.invalid', 'body.name'],
    ['a missing field', JSON.stringify({ name: 'Acme' }), 400, 'request.invalid', 'body.country'],
    [
      'an unknown field',
      JSON.stringify({ name: 'Acme', country: 'NL', vip: true }),
      400,
      'request.invalid',
      'body.vip',
    ],
    [
      'an oversize body',
      JSON.stringify({ name: 'A'.repeat(4096), country: 'NL' }),
      413,
      'request.body_too_large',
      undefined,
    ],
  ])(
    '%s gets a %i problem naming the problem, and writes nothing',
    async (_name, payload, status, code, field) => {
      const before = await clientCount()
      const response = await postClient(payload)
      expect(response.statusCode).toBe(status)
      expect(response.headers['content-type']).toContain('application/problem+json')
      const problem = response.json()
      expect(problem).toMatchObject({
        status,
        code,
        type: expect.stringMatching(/^https:\/\/candor\.dev\/problems\//),
      })
      if (field) expect(problem.errors.map((error: { field: string }) => error.field)).toContain(field)
      expect(JSON.stringify(problem)).not.toMatch(/at .*\.ts|select|insert/i)
      expect(await clientCount()).toBe(before)
    },
  )

  it('refuses a body in a content type the route does not take with 415', async () => {
    const response = await postClient('<name>Acme</name>', 'application/xml')
    expect(response.json()).toMatchObject({ status: 415, code: 'request.unsupported_media_type' })
  })

  it('rejects malformed path parameters and query strings with 400', async () => {
    expect(
      (await t.request({ method: 'GET', url: '/vacancies/not-a-uuid', as: recruiter })).json(),
    ).toMatchObject({
      status: 400,
      errors: [{ field: 'params.id' }],
    })
    expect(
      (await t.request({ method: 'GET', url: '/vacancies?limit=100000', as: recruiter })).json(),
    ).toMatchObject({
      status: 400,
      errors: [{ field: 'querystring.limit' }],
    })
  })

  it('answers an unknown route with a 404 problem', async () => {
    const response = await t.request({ method: 'GET', url: '/nowhere' })
    expect(response.json()).toMatchObject({ status: 404, code: 'route.not_found' })
  })
})
