import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app'
import { queryRows } from '../../src/db/client'
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
    // A fault of ours, not of the database's availability: the table the route reads is gone.
    await queryRows(t.app.db, sql`alter table vacancies rename to vacancies_elsewhere`)
    try {
      const response = await t.request({ method: 'GET', url: '/vacancies', as: recruiter })
      expect(response.statusCode).toBe(500)
      expect(response.json()).toEqual({
        type: 'https://candor.dev/problems/internal-error',
        title: 'Something went wrong on our side',
        status: 500,
        code: 'server.internal',
        instance: expect.stringMatching(/^urn:candor:request:/),
      })
      expect(response.body).not.toMatch(/vacancies_elsewhere|relation|select/i)
      expect(t.logs.some((line) => line.includes('"level":50') && line.includes('request failed'))).toBe(true)
    } finally {
      await queryRows(t.app.db, sql`alter table vacancies_elsewhere rename to vacancies`)
    }
  })

  it('answers 503 with Retry-After while the database is out of reach, and says so when asked', async () => {
    await t.app.database.close()
    const response = await t.request({ method: 'GET', url: '/vacancies', as: recruiter })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toEqual({
      type: 'https://candor.dev/problems/database-unavailable',
      title: 'The database cannot serve this request now; try again shortly',
      status: 503,
      code: 'database.unavailable',
      instance: expect.stringMatching(/^urn:candor:request:/),
    })
    expect(t.logs.some((line) => line.includes('database unavailable'))).toBe(true)
    const ready = await t.request({ method: 'GET', url: '/health/ready' })
    expect(ready.json()).toMatchObject({ status: 'unavailable', checks: { database: 'unavailable' } })
  })
})
