import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('security headers', () => {
  it('API answers are never cached and cannot be framed or sniffed', async () => {
    const admin = await t.user('admin')
    for (const response of [
      await t.request({ method: 'GET', url: '/users', as: admin }),
      await t.request({ method: 'GET', url: '/users' }),
    ]) {
      expect(response.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      })
      expect(response.headers['strict-transport-security']).toContain('max-age=')
    }
  })

  it('HTML pages get helmet’s full set, with a content security policy that allows only our own forms', async () => {
    const response = await t.request({ method: 'GET', url: '/docs/' })
    expect(response.headers['content-type']).toContain('text/html')
    expect(response.headers['content-security-policy']).toContain("form-action 'self'")
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(response.headers['cross-origin-opener-policy']).toBe('same-origin')
    expect(response.headers['x-powered-by']).toBeUndefined()
  })
})
