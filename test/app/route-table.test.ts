import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { roles } from '../../src/modules/auth/auth.tables'
import { startTestApp, type TestApp, type TestUser } from '../helpers/app'

let t: TestApp
const users = {} as Record<(typeof roles)[number], TestUser>

beforeAll(async () => {
  t = await startTestApp()
  for (const role of roles)
    users[role] = await t.user(role, role === 'client' ? { clientId: await clientId() } : {})
})
afterAll(() => t.close())

async function clientId(): Promise<string> {
  const admin = await t.user('admin')
  return (
    await t.request({
      method: 'POST',
      url: '/clients',
      as: admin,
      payload: { name: 'Route table', country: 'NL' },
    })
  ).json().id
}

/** Fill path parameters with well-formed values, so refusals come from access control, not validation. */
const concrete = (url: string) =>
  url.replace(/:(\w+)/g, (_match, name: string) =>
    name === 'token' ? 'x'.repeat(43) : '00000000-0000-4000-8000-000000000000',
  )

describe('the route table', () => {
  it('has routes, and every one declares who may call it', () => {
    expect(t.app.routeTable.length).toBeGreaterThan(10)
    for (const route of t.app.routeTable) expect(route.access, `${route.method} ${route.url}`).toBeDefined()
  })

  it('refuses anonymous calls to every non-public route with 401 and a problem document', async () => {
    const guarded = t.app.routeTable.filter((route) => !('public' in route.access))
    expect(guarded.length).toBeGreaterThan(5)
    for (const route of guarded) {
      const response = await t.request({
        method: route.method as 'GET',
        url: concrete(route.url),
        payload: route.method === 'GET' || route.method === 'HEAD' ? undefined : {},
      })
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401)
      if (route.method !== 'HEAD')
        expect(response.json().type, `${route.method} ${route.url}`).toMatch(
          /^https:\/\/candor\.dev\/problems\//,
        )
    }
  })

  it('refuses every role a route does not name with 403', async () => {
    let checked = 0
    for (const route of t.app.routeTable) {
      if (!('roles' in route.access)) continue
      for (const role of roles.filter(
        (candidate) => !(route.access as { roles: readonly string[] }).roles.includes(candidate),
      )) {
        const response = await t.request({
          method: route.method as 'GET',
          url: concrete(route.url),
          as: users[role],
          payload: route.method === 'GET' || route.method === 'HEAD' ? undefined : {},
        })
        expect(response.statusCode, `${role} → ${route.method} ${route.url}`).toBe(403)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(10)
  })

  it('refuses tokens that are forged, expired, or meant for someone else', async () => {
    const { createSigner } = await import('fast-jwt')
    const secret = t.config.JWT_SECRET!
    const claims = { sub: users.admin.id, role: 'admin' }
    const now = Math.floor(Date.now() / 1000)
    const tokens = {
      unsigned: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: 'candor', aud: 'candor-api', iat: now, exp: now + 60 })).toString('base64url')}.`,
      wrongKey: createSigner({ key: 'x'.repeat(32), iss: 'candor', aud: 'candor-api', expiresIn: 60_000 })(
        claims,
      ),
      wrongIssuer: createSigner({ key: secret, iss: 'someone-else', aud: 'candor-api', expiresIn: 60_000 })(
        claims,
      ),
      wrongAudience: createSigner({ key: secret, iss: 'candor', aud: 'another-api', expiresIn: 60_000 })(
        claims,
      ),
      expired: createSigner({ key: secret, iss: 'candor', aud: 'candor-api' })({
        ...claims,
        iat: now - 3600,
        exp: now - 1800,
      }),
      noExpiry: createSigner({ key: secret, iss: 'candor', aud: 'candor-api' })(claims),
      hs512: createSigner({
        key: secret,
        algorithm: 'HS512',
        iss: 'candor',
        aud: 'candor-api',
        expiresIn: 60_000,
      })(claims),
    }
    for (const [name, token] of Object.entries(tokens)) {
      const response = await t.request({
        method: 'GET',
        url: '/users',
        headers: { authorization: `Bearer ${token}` },
      })
      expect(response.statusCode, name).toBe(401)
    }
    expect((await t.request({ method: 'GET', url: '/users', as: users.admin })).statusCode).toBe(200)
  })
})

describe('the OpenAPI document', () => {
  it('describes every route with a tag and a summary', async () => {
    const response = await t.request({ method: 'GET', url: '/docs/json' })
    expect(response.statusCode).toBe(200)
    const document = response.json() as {
      paths: Record<string, Record<string, { tags?: string[]; summary?: string }>>
    }
    const apiRoutes = t.app.routeTable.filter(
      (route) => !route.url.startsWith('/docs') && route.method !== 'HEAD',
    )
    for (const route of apiRoutes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}')
      const operation = document.paths[path]?.[route.method.toLowerCase()]
      expect(operation, `${route.method} ${route.url}`).toBeDefined()
      expect(operation?.tags?.length, `${route.method} ${route.url} tags`).toBeGreaterThan(0)
      expect(operation?.summary, `${route.method} ${route.url} summary`).toBeTruthy()
    }
  })
})
