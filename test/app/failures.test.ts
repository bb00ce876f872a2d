import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app'
import { startTestApp, type TestApp, type TestUser } from '../helpers/app'

let t: TestApp
let recruiter: TestUser

beforeAll(async () => {
  t = await startTestApp()
  recruiter = await t.user('recruiter')
})
afterAll(() => t.close())

describe('when a dependency fails', () => {
  it('reports ready while PostgreSQL and Redis answer, and 503 while Redis does not', async () => {
    expect((await t.request({ method: 'GET', url: '/health/ready' })).json()).toEqual({
      status: 'ok',
      checks: { database: 'ok', redis: 'ok' },
    })
    const unreachable = await buildApp({
      config: t.config,
      redis: { url: 'redis://127.0.0.1:1' },
      clock: t.clock,
      logStream: { write: () => {} },
    })
    try {
      const response = await unreachable.inject({ method: 'GET', url: '/health/ready' })
      expect(response.statusCode).toBe(503)
      expect(response.json()).toMatchObject({
        status: 'unavailable',
        checks: { database: 'ok', redis: 'unavailable' },
      })
    } finally {
      await unreachable.close()
    }
  })

  it('answers 500 with a generic problem and keeps the cause in the log only', async () => {
    await t.app.database.close()
    const response = await t.request({ method: 'GET', url: '/vacancies', as: recruiter })
    expect(response.statusCode).toBe(500)
    const problem = response.json()
    expect(problem).toEqual({
      type: 'https://candor.dev/problems/internal-error',
      title: 'Something went wrong on our side',
      status: 500,
      code: 'server.internal',
      instance: expect.stringMatching(/^urn:candor:request:/),
    })
    expect(t.logs.some((line) => line.includes('"level":50') && line.includes('request failed'))).toBe(true)
    const ready = await t.request({ method: 'GET', url: '/health/ready' })
    expect(ready.json()).toMatchObject({ status: 'unavailable', checks: { database: 'unavailable' } })
  })
})
