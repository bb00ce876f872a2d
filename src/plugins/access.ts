import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../lib/problems'
import type { Role } from '../modules/auth/auth.tables'

/**
 * Every route declares who may call it, in `config.access`:
 * - `{ roles: [...] }`: a valid access token with one of these roles;
 * - `{ public: 'reason' }`: anyone (health, docs, login, candidate token pages);
 * - `{ webhook: 'provider' }`: the route authenticates its caller itself (SparkPost's credentials).
 * A route without a declaration fails registration, so a new route cannot be forgotten.
 */
export type Access = { roles: readonly Role[] } | { public: string } | { webhook: string }

export const allow = (...roles: Role[]): { access: Access } => ({ access: { roles } })
export const publicRoute = (reason: string): { access: Access } => ({ access: { public: reason } })

export interface Principal {
  userId: string
  role: Role
  /** Set for `client` users: the one client whose data they may see. */
  clientId: string | null
}

interface AccessTokenClaims {
  sub: string
  role: Role
  cid?: string
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenClaims
    user: AccessTokenClaims
  }
}

export interface RouteEntry {
  method: string
  url: string
  access: Access
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access
  }
  interface FastifyInstance {
    /** Every route with its declared access, for the route-table test and the docs. */
    routeTable: RouteEntry[]
    signAccessToken(principal: Principal): string
  }
  interface FastifyRequest {
    principal: Principal | null
  }
}

export interface AccessOptions {
  secret: string
  issuer: string
  audience: string
  ttlSeconds: number
}

/** The principal of an authenticated route; routes declared with roles always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('auth.unauthenticated')
  return request.principal
}

const ALGORITHM = 'HS256'
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/

export const accessPlugin = fp(
  async (app: FastifyInstance, options: AccessOptions) => {
    // Pin the algorithm, issuer and audience, and require the registered claims (OWASP ASVS V9):
    // fast-jwt would otherwise accept whatever the token says.
    await app.register(fastifyJwt, {
      secret: options.secret,
      sign: {
        algorithm: ALGORITHM,
        iss: options.issuer,
        aud: options.audience,
        expiresIn: `${options.ttlSeconds}s`,
      },
      verify: {
        algorithms: [ALGORITHM],
        allowedIss: options.issuer,
        allowedAud: options.audience,
        requiredClaims: ['exp', 'iat', 'iss', 'aud', 'sub'],
        cache: 1000,
      },
    })

    app.decorate('routeTable', [] as RouteEntry[])
    app.decorate('signAccessToken', (principal: Principal) =>
      app.jwt.sign({
        sub: principal.userId,
        role: principal.role,
        ...(principal.clientId ? { cid: principal.clientId } : {}),
      }),
    )
    app.decorateRequest('principal', null)

    app.addHook('onRoute', (route) => {
      let access = route.config?.access
      // @fastify/swagger-ui registers its own routes; the API description is public.
      if (!access && (route.url === '/docs' || route.url.startsWith('/docs/'))) {
        access = { public: 'API documentation' }
        route.config = { ...route.config, access }
      }
      if (!access)
        throw new Error(
          `${String(route.method)} ${route.url} does not declare who may call it (config.access)`,
        )
      for (const method of [route.method].flat()) app.routeTable.push({ method, url: route.url, access })
    })

    app.addHook('onRequest', async (request) => {
      const access = request.routeOptions.config.access
      if (!access || !('roles' in access)) return
      let claims: AccessTokenClaims
      try {
        // The plugin's own verifier (pinned options, cached), without the per-request option merging
        // of request.jwtVerify(), which cost a noticeable share of a primary-key read.
        const token = BEARER.exec(request.headers.authorization ?? '')?.[1]
        if (!token) throw new Error('no bearer token')
        claims = app.jwt.verify<AccessTokenClaims>(token)
      } catch {
        throw new AppError('auth.unauthenticated', undefined, {
          headers: { 'www-authenticate': 'Bearer realm="candor"' },
        })
      }
      request.principal = { userId: claims.sub, role: claims.role, clientId: claims.cid ?? null }
      if (!access.roles.includes(claims.role)) throw new AppError('auth.forbidden')
    })
  },
  { name: 'access' },
)
