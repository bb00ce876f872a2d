import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/cli'
import { startTestApp, TEST_PASSWORD, type TestApp } from '../../helpers/app'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '8' } })
})
afterAll(() => t.close())

const login = (email: string, password: string) =>
  t.request({ method: 'POST', url: '/auth/token', payload: { email, password } })

describe('authentication', () => {
  it('an admin created with the CLI gets a 15-minute token with pinned claims', async () => {
    await runCli(
      [
        'user:create',
        '--email',
        'First.Admin@Example.com',
        '--password',
        'a long enough password',
        '--role',
        'admin',
      ],
      {
        DATABASE_URL: t.databaseUrl,
        DATA_DIR: t.config.DATA_DIR,
      },
    )
    const response = await login('first.admin@example.com ', 'a long enough password')
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 })
    const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString())
    const header = JSON.parse(Buffer.from(body.accessToken.split('.')[0], 'base64url').toString())
    expect(header.alg).toBe('HS256')
    expect(claims).toMatchObject({ role: 'admin', iss: 'candor', aud: 'candor-api', sub: expect.any(String) })
    expect(claims.exp - claims.iat).toBe(900)
    const me = await t.request({
      method: 'GET',
      url: '/auth/me',
      headers: { authorization: `Bearer ${body.accessToken}` },
    })
    expect(me.json()).toMatchObject({ role: 'admin', userId: claims.sub, clientId: null })
  })

  it('gives the same answer for a wrong password and an unknown address', async () => {
    const user = await t.user('recruiter')
    const wrongPassword = await login(user.email, 'not the password')
    const unknown = await login('nobody@example.com', TEST_PASSWORD)
    expect(wrongPassword.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(wrongPassword.json().code).toBe('auth.invalid_credentials')
    expect({ ...wrongPassword.json(), instance: '' }).toEqual({ ...unknown.json(), instance: '' })
  })

  it('lets an admin create users, binds client users to one client, and refuses a taken address', async () => {
    const admin = await t.user('admin')
    const create = (payload: Record<string, unknown>) =>
      t.request({ method: 'POST', url: '/users', as: admin, payload })
    const base = { email: 'dpo@candor.test', password: 'twelve chars!', role: 'dpo', displayName: 'The DPO' }
    const created = await create(base)
    expect(created.statusCode).toBe(201)
    expect(created.json()).not.toHaveProperty('passwordHash')
    expect((await create(base)).json()).toMatchObject({ status: 409, code: 'user.email_taken' })
    expect((await create({ ...base, email: 'client@candor.test', role: 'client' })).json()).toMatchObject({
      status: 400,
      code: 'user.client_required',
    })
  })

  it('rate-limits the login route', async () => {
    const statuses: number[] = []
    for (let attempt = 0; attempt < 10; attempt++)
      statuses.push((await login('someone@example.com', 'guess')).statusCode)
    expect(statuses).toContain(429)
    const limited = await login('someone@example.com', 'guess')
    expect(limited.json()).toMatchObject({ status: 429, code: 'request.rate_limited' })
  })
})
