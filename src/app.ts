import rateLimit from '@fastify/rate-limit'
import Fastify, { type FastifyInstance } from 'fastify'
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { DestinationStream } from 'pino'
import { type Config, processShare, type ResolvedConfig, resolvedConfig } from './config'
import { type Clock, systemClock } from './lib/clock'
import { parseKeyring } from './lib/field-crypto'
import { createLimiter } from './lib/limiter'
import { type VerifyPassword, verifyPassword } from './lib/passwords'
import { AppError } from './lib/problems'
import { MAX_PARAM_LENGTH } from './lib/schemas'
import { createTemplates } from './lib/templates'
import { auditRoutes } from './modules/audit/audit.routes'
import { authRoutes } from './modules/auth/auth.routes'
import { candidacyRoutes } from './modules/candidacies/candidacies.routes'
import { clientRoutes } from './modules/clients/clients.routes'
import { consentPages } from './modules/consent/consent.pages'
import { consentRoutes } from './modules/consent/consent.routes'
import { healthRoutes } from './modules/health/health.routes'
import { homeRoutes } from './modules/health/home.routes'
import { ledgerRoutes } from './modules/ledger/ledger.routes'
import { outreachJobs } from './modules/outreach/outreach.jobs'
import { outreachRoutes } from './modules/outreach/outreach.routes'
import { recordsRoutes } from './modules/records/records.routes'
import { requestJobs } from './modules/requests/requests.jobs'
import { requestPages } from './modules/requests/requests.pages'
import { requestRoutes } from './modules/requests/requests.routes'
import { retentionJobs } from './modules/retention/retention.jobs'
import { talentPoolRoutes } from './modules/talent-pool/talent-pool.routes'
import { trackingJobs } from './modules/tracking/tracking.jobs'
import { trackingRoutes } from './modules/tracking/tracking.routes'
import { vacancyRoutes } from './modules/vacancies/vacancies.routes'
import { accessPlugin } from './plugins/access'
import { apiContractPlugin } from './plugins/api-contract'
import { databasePlugin } from './plugins/database'
import { clientErrorHandler, errorsPlugin, frameworkErrorHandler } from './plugins/errors'
import { gracefulClosePlugin } from './plugins/graceful-close'
import { loggerOptions } from './plugins/logging'
import { mailerPlugin } from './plugins/mailer'
import { openapiPlugin } from './plugins/openapi'
import { queuesPlugin } from './plugins/queues'
import { securityHeadersPlugin } from './plugins/security-headers'
import { responseSerializerCompiler } from './plugins/serializer'
import { textInputPlugin } from './plugins/text-input'
import { workersPlugin } from './plugins/workers'
import type { RedisTarget } from './queue/connection'
import type { Services } from './services'

export interface AppOptions {
  /** Secrets resolved (see bootstrap.ts). */
  config: Config
  redis: RedisTarget
  clock?: Clock
  /** Where log lines go (tests capture them); stdout otherwise. */
  logStream?: DestinationStream
  /** How logins check a password; scrypt unless a test counts or holds the checks. */
  verifyPassword?: VerifyPassword
}

interface RateLimitRouteOptions {
  max: number
  timeWindow: string
}

declare module 'fastify' {
  interface FastifyInstance {
    config: ResolvedConfig
    clock: Clock
    /** The limit for unauthenticated routes: login and the candidate's token pages. */
    publicRateLimit: RateLimitRouteOptions
    /** What services are given: database, clock, configuration, field keyring. */
    services: Services
  }
}

/**
 * Builds the whole service without listening: server.ts listens, worker.ts runs the
 * workers, tests call `inject()`. Plugins in tiers: ecosystem, infrastructure, modules.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const config = resolvedConfig(options.config)
  const requestTimeoutMs = config.REQUEST_TIMEOUT_SECONDS * 1000
  const app = Fastify({
    logger: loggerOptions(config.LOG_LEVEL, options.logStream),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Only configured proxies may name the client: request.ip is the rate-limit key.
    trustProxy: config.TRUST_PROXY,
    // A client that trickles its request (slowloris) is answered 408 and cut once the whole
    // request has taken longer than this; a silent connection after connectionTimeout.
    requestTimeout: requestTimeoutMs,
    connectionTimeout: config.CONNECTION_TIMEOUT_SECONDS * 1000,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      // Node checks those timeouts only this often (30 s by default), so a cut could come that
      // much late: a quarter of the timeout keeps it within 25 %.
      connectionsCheckingInterval: Math.max(100, Math.floor(requestTimeoutMs / 4)),
    },
    return503OnClosing: true,
    // The schemas of path parameters document this bound; longer ones the router refuses itself, and
    // frameworkErrors answers those like any bad link (an HTML page on the candidate's pages).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    ajv: undefined,
    // A first start creates the embedded database and runs every migration inside the database
    // plugin: on a small, busy machine that takes longer than Fastify's default 10 s per plugin.
    pluginTimeout: 120_000,
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(responseSerializerCompiler)

  app.decorate('config', config)
  app.decorate('clock', options.clock ?? systemClock)
  app.decorate('publicRateLimit', {
    max: processShare(config, config.RATE_LIMIT_PUBLIC_PER_MINUTE),
    timeWindow: '1 minute',
  })

  // Ecosystem
  await app.register(gracefulClosePlugin)
  await app.register(securityHeadersPlugin)
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AppError('request.rate_limited', `Try again in ${Math.ceil(context.ttl / 1000)} seconds.`),
  })
  await app.register(errorsPlugin)
  await app.register(textInputPlugin)
  await app.register(apiContractPlugin)
  await app.register(accessPlugin, {
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  })

  // Infrastructure
  await app.register(databasePlugin, {
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
    limits: {
      waitSeconds: config.DATABASE_WAIT_SECONDS,
      statementTimeoutSeconds: config.DATABASE_STATEMENT_TIMEOUT_SECONDS,
      lockTimeoutSeconds: config.DATABASE_LOCK_TIMEOUT_SECONDS,
      idleInTransactionSeconds: config.DATABASE_STATEMENT_TIMEOUT_SECONDS,
    },
    migrate: config.DB_MIGRATE_ON_START,
  })
  await app.register(queuesPlugin, {
    target: options.redis,
    prefix: config.QUEUE_PREFIX,
    retryDelayMs: config.MAIL_RETRY_DELAY_MS,
  })
  await app.register(mailerPlugin, { config })
  app.decorate('services', {
    db: app.db,
    clock: app.clock,
    config,
    keyring: parseKeyring(config.FIELD_ENCRYPTION_KEYS),
    templates: createTemplates(),
    mailer: app.mailer,
    queues: app.queues,
    passwords: {
      verify: options.verifyPassword ?? verifyPassword,
      limiter: createLimiter({ concurrency: config.LOGIN_CONCURRENCY, queue: config.LOGIN_QUEUE }),
    },
  } satisfies Services)
  await app.register(openapiPlugin, { serverUrl: config.publicBaseUrl })

  // Modules
  await app.register(healthRoutes)
  await app.register(homeRoutes)
  await app.register(authRoutes)
  await app.register(clientRoutes)
  await app.register(vacancyRoutes)
  await app.register(candidacyRoutes)
  await app.register(consentRoutes)
  await app.register(ledgerRoutes)
  await app.register(auditRoutes)
  await app.register(outreachRoutes)
  await app.register(trackingRoutes)
  await app.register(requestRoutes)
  await app.register(recordsRoutes)
  await app.register(talentPoolRoutes)
  await app.register(consentPages)
  await app.register(requestPages)

  // Workers run here when RUN_WORKERS (npm start, src/worker.ts), not in the API-only replicas.
  if (config.RUN_WORKERS) {
    await app.register(workersPlugin, {
      target: options.redis,
      prefix: config.QUEUE_PREFIX,
      schedulerCheckMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
      jobs: (instance) => [
        ...outreachJobs(instance),
        ...trackingJobs(instance),
        ...requestJobs(instance),
        ...retentionJobs(instance),
      ],
      settings: {
        outreach: {
          concurrency: config.MAIL_CONCURRENCY,
          limiter: { max: config.MAIL_RATE_PER_SECOND, duration: 1000 },
        },
      },
    })
  }

  return app
}
