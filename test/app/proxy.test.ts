import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app'

const LIMIT = 3
let t: TestApp
let behindProxy: FastifyInstance

// Production, as deployed: it used to believe every X-Forwarded-For there.
beforeAll(async () => {
  t = await startTestApp({
    env: {
      NODE_ENV: 'production',
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      RATE_LIMIT_PUBLIC_PER_MINUTE: String(LIMIT),
    },
    // The rate limit is the point here, not scrypt.
    verifyPassword: async () => false,
  })
  behindProxy = await t.sibling({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' })
})
afterAll(() => t.close())

let spoofed = 0
/** A different made-up client address on every request. */
const nextForwardedFor = () => `198.51.100.${++spoofed % 250}`

const tokenPage = (app: FastifyInstance, remoteAddress: string) =>
  app.inject({
    method: 'GET',
    url: '/c/not-a-link-token',
    remoteAddress,
    headers: { 'x-forwarded-for': nextForwardedFor() },
  })

const login = (app: FastifyInstance, remoteAddress: string) =>
  app.inject({
    method: 'POST',
    url: '/auth/token',
    remoteAddress,
    headers: { 'x-forwarded-for': nextForwardedFor() },
    payload: { email: 'guess@example.com', password: 'a guess' },
  })

async function statuses(send: () => Promise<{ statusCode: number }>, times: number): Promise<number[]> {
  const answers: number[] = []
  for (let i = 0; i < times; i++) answers.push((await send()).statusCode)
  return answers
}

describe('the client address behind proxies', () => {
  it('a spoofed X-Forwarded-For does not change the rate-limit key when no proxy is trusted', async () => {
    const logins = await statuses(() => login(t.app, '203.0.113.7'), LIMIT + 1)
    expect(logins).toEqual([401, 401, 401, 429])
    const pages = await statuses(() => tokenPage(t.app, '203.0.113.7'), LIMIT + 1)
    expect(pages.slice(0, LIMIT)).not.toContain(429)
    expect(pages[LIMIT]).toBe(429)
  })

  it('a trusted proxy names the client; anyone else sending X-Forwarded-For is keyed on their own address', async () => {
    // Through the proxies: each forwarded client has its own count.
    for (const proxy of ['10.0.0.1', '10.1.2.3']) {
      const answers = await Promise.all(
        Array.from({ length: LIMIT + 1 }, async () => tokenPage(behindProxy, proxy)),
      )
      for (const answer of answers) {
        expect(answer.statusCode).not.toBe(429)
        expect(answer.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1))
      }
    }
    // Straight to the port, past the proxy: the header is ignored.
    const direct = await statuses(() => tokenPage(behindProxy, '192.0.2.44'), LIMIT + 1)
    expect(direct[LIMIT]).toBe(429)
  })
})
