import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redactUrl } from '../../src/lib/redact'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ env: { LOG_LEVEL: 'trace' } })
})
afterAll(() => t.close())

describe('logs', () => {
  it('never contain an e-mail address, password or token sent to the service', async () => {
    const admin = await t.user('admin', { email: 'grace.hopper@example.org' })
    const login = await t.request({
      method: 'POST',
      url: '/auth/token',
      payload: { email: 'grace.hopper@example.org', password: TEST_PASSWORD },
    })
    expect(login.statusCode).toBe(200)
    const wrong = await t.request({
      method: 'POST',
      url: '/auth/token',
      payload: { email: 'ada.lovelace@example.org', password: 'not-her-password' },
    })
    expect(wrong.statusCode).toBe(401)
    // A validation failure on a body with an address in it, an address in a path and in a query string.
    await t.request({
      method: 'POST',
      url: '/users',
      as: admin,
      payload: { email: 'alan.turing@example.org', role: 'nobody' },
    })
    await t.request({ method: 'GET', url: '/lookup/alan.turing@example.org?email=alan.turing%40example.org' })
    await t.request({ method: 'GET', url: `/c/${'A'.repeat(43)}` })

    const output = t.logs.join('')
    expect(output.length).toBeGreaterThan(1000)
    expect(output).toContain('"url":"/auth/token"')
    for (const secret of [
      'grace.hopper',
      'ada.lovelace',
      'alan.turing',
      TEST_PASSWORD,
      'not-her-password',
      admin.token,
      'A'.repeat(43),
    ]) {
      expect(output, secret).not.toContain(secret)
    }
  })

  it('redacts tokens, addresses and query strings from URLs', () => {
    expect(redactUrl('/c/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ?lang=nl')).toBe('/c/[token]')
    expect(redactUrl('/people/someone%40example.com/x')).toBe('/people/[email]/x')
    expect(redactUrl('/vacancies/4f6c9a34-1d5e-4c2a-9a0b-0c1d2e3f4a5b')).toBe(
      '/vacancies/4f6c9a34-1d5e-4c2a-9a0b-0c1d2e3f4a5b',
    )
  })
})
