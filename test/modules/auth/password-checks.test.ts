import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { unusablePasswordHash, verifyPassword } from '../../../src/lib/passwords'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../../helpers/app'

/**
 * Password checks as the app makes them: each is counted, and while `hold` is set each waits
 * until the test answers it, so "all slots busy" is a state the test builds, not a race it wins.
 */
const checks = {
  stored: [] as string[],
  held: [] as Array<(valid: boolean) => void>,
  hold: false,
  running: 0,
  mostAtOnce: 0,
}

async function countedCheck(password: string, stored: string): Promise<boolean> {
  checks.stored.push(stored)
  checks.running++
  checks.mostAtOnce = Math.max(checks.mostAtOnce, checks.running)
  try {
    return checks.hold
      ? await new Promise<boolean>((resolve) => checks.held.push(resolve))
      : await verifyPassword(password, stored)
  } finally {
    checks.running--
  }
}

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({
    env: { LOGIN_CONCURRENCY: '2', LOGIN_QUEUE: '1' },
    verifyPassword: countedCheck,
  })
})
afterAll(() => t.close())

const login = (email: string, password: string) =>
  t.request({ method: 'POST', url: '/auth/token', payload: { email, password } })

/** The answer with its per-request instance (`urn:candor:request:<id>`) made alike. */
const withoutInstance = (response: LightMyRequestResponse) =>
  response.body.replace(/"instance":"urn:candor:request:[^"]*"/, '"instance":"…"')

describe('password checks at login', () => {
  it('an unknown address and a wrong password get byte-identical answers after exactly one check each', async () => {
    const user = await t.user('recruiter')
    const before = checks.stored.length
    const wrongPassword = await login(user.email, 'not the password at all')
    expect(checks.stored.length).toBe(before + 1)
    const unknown = await login('nobody-here@example.com', TEST_PASSWORD)
    expect(checks.stored.length).toBe(before + 2)
    // The unknown address was checked against the dummy hash, at the same cost as a real one.
    expect(checks.stored.at(-1)).toBe(unusablePasswordHash)
    expect(checks.stored.at(-2)).not.toBe(unusablePasswordHash)

    expect(wrongPassword.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(wrongPassword.json().code).toBe('auth.invalid_credentials')
    expect(withoutInstance(unknown)).toBe(withoutInstance(wrongPassword))
    expect(unknown.headers['content-type']).toBe(wrongPassword.headers['content-type'])
  })

  it('answers 503 auth.busy with Retry-After at once when the checks under way and waiting are at their bound', async () => {
    checks.hold = true
    checks.mostAtOnce = 0
    const answered: LightMyRequestResponse[] = []
    // Two checking, one waiting, and one more than that.
    const logins = Array.from({ length: 4 }, async (_, i) => {
      const response = await login(`busy-${i}@example.com`, 'a guess of some length')
      answered.push(response)
      return response
    })
    await vi.waitFor(() => expect(checks.held).toHaveLength(2), { interval: 10 })
    await vi.waitFor(() => expect(answered).toHaveLength(1), { interval: 10 })
    const busy = answered[0]!
    expect(busy.statusCode).toBe(503)
    expect(busy.headers['retry-after']).toBe('1')
    expect(busy.headers['content-type']).toContain('application/problem+json')
    expect(busy.json()).toMatchObject({ status: 503, code: 'auth.busy' })

    // Let the held checks go: the waiting login takes a freed slot; never more than two at once.
    checks.hold = false
    for (const answer of checks.held.splice(0)) answer(false)
    const statuses = (await Promise.all(logins)).map((response) => response.statusCode)
    expect(statuses.sort()).toEqual([401, 401, 401, 503])
    expect(checks.mostAtOnce).toBe(2)
  })
})
