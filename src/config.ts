import { isIP } from 'node:net'
import { z } from 'zod'

/**
 * The one view of the environment. Every key has a description and a default
 * where a safe one exists; `.env.example` lists the same keys (a test keeps them in step).
 */
const bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1')

const positiveInt = z.coerce.number().int().positive()

/** The named ranges of proxy-addr, which Fastify's trustProxy accepts beside addresses and CIDRs. */
const namedProxyRanges = new Set(['loopback', 'linklocal', 'uniquelocal'])

function isProxyAddress(entry: string): boolean {
  if (namedProxyRanges.has(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}

/**
 * Whose X-Forwarded-For to believe, as Fastify's trustProxy: proxy addresses/CIDRs, or true/false.
 * Believing any sender lets a client pick its own address, and with it its rate-limit key (OWASP:
 * Blocking Brute Force Attacks). Fastify 5 ignores a hop count (it cannot tell a proxy from a
 * client), which would key every client on the proxy's address: refused here instead.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, context): boolean | string[] => {
    if (value === 'true' || value === 'false') return value === 'true'
    const entries = value.split(',').map((entry) => entry.trim())
    const wrong = entries.filter((entry) => !isProxyAddress(entry))
    if (wrong.length === 0) return entries
    context.addIssue({
      code: 'custom',
      message: /^\d+$/.test(value)
        ? 'a hop count cannot tell a proxy from a client: list the proxy addresses/CIDRs'
        : `must be true, false, or proxy addresses/CIDRs separated by commas (not: ${wrong.join(', ')})`,
    })
    return z.NEVER
  })

/**
 * The Authorization header SparkPost sends, exactly: "Bearer" and an RFC 6750 token, or "Basic"
 * and the base64 of user:password (RFC 7617). Anything else could never match (every webhook 401).
 */
function isWebhookAuthorization(value: string): boolean {
  if (/^Bearer [A-Za-z0-9\-._~+/]+=*$/.test(value)) return true
  const basic = /^Basic ((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/.exec(value)
  return Boolean(basic?.[1] && Buffer.from(basic[1], 'base64').toString('utf8').includes(':'))
}

export const configSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('production requires explicit secrets and disables development-only routes'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port'),
  HOST: z.string().min(1).default('127.0.0.1').describe('interface to listen on (0.0.0.0 in containers)'),
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('base of the links put in mail (consent, withdraw); defaults to http://localhost:PORT'),
  DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('embedded database, development secrets, redis socket'),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/ })
    .optional()
    .describe(
      'PostgreSQL server (?host=/dir for a Unix socket directory, as libpq); without it the embedded PGlite database in DATA_DIR is used',
    ),
  DATABASE_POOL_SIZE: positiveInt.default(10).describe('postgres.js connections per process'),
  DATABASE_WAIT_SECONDS: z.coerce
    .number()
    .positive()
    .max(60)
    .default(5)
    .describe('how long a request or job waits for a free database connection before it answers 503'),
  DATABASE_STATEMENT_TIMEOUT_SECONDS: positiveInt
    .max(3600)
    .default(60)
    .describe('longest a single SQL statement may run (PostgreSQL statement_timeout)'),
  DATABASE_LOCK_TIMEOUT_SECONDS: positiveInt
    .max(600)
    .default(10)
    .describe('longest a statement waits for a row lock held by another transaction (lock_timeout)'),
  DB_MIGRATE_ON_START: bool.default(true).describe('apply pending migrations when the service starts'),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .describe('Redis for BullMQ; without it redis://127.0.0.1:6379, or a private redis-server'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]+$/i)
    .default('candor')
    .describe('BullMQ key prefix (hash-tag it, e.g. {candor}, for Redis Cluster)'),
  WEB_CONCURRENCY: positiveInt
    .max(64)
    .default(1)
    .describe(
      'processes serving the API (and running the workers), one a core; above 1 needs DATABASE_URL and a real MAIL_TRANSPORT',
    ),
  RUN_WORKERS: bool.default(true).describe('run the BullMQ workers and schedulers inside this process'),
  JWT_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('HS256 key for access tokens; required in production, generated under DATA_DIR otherwise'),
  JWT_ISSUER: z.string().min(1).default('candor').describe('iss claim of access tokens'),
  JWT_AUDIENCE: z.string().min(1).default('candor-api').describe('aud claim of access tokens'),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.max(3600).default(900).describe('access token lifetime (15 minutes)'),
  SERVER_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe('key of the suppression-list HMAC; required in production, generated under DATA_DIR otherwise'),
  FIELD_ENCRYPTION_KEYS: z
    .string()
    .regex(/^([a-z0-9_-]+:[A-Za-z0-9+/=]{44})(,[a-z0-9_-]+:[A-Za-z0-9+/=]{44})*$/i, {
      message: 'must be "keyId:base64(32 bytes)" pairs separated by commas, newest last',
    })
    .optional()
    .describe(
      'AES-256-GCM keys for high-risk identifiers, newest last; generated under DATA_DIR outside production',
    ),
  JURISDICTION: z
    .string()
    .regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'must be an ISO 3166 country code such as NL or DE-BY')
    .default('NL')
    .describe('public holidays that move one-month deadlines'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: trustProxy
    .default(false)
    .describe(
      'whose X-Forwarded-For names the client (rate-limit key, logs): false, or the proxy addresses/CIDRs separated by commas (e.g. 10.0.0.0/8, loopback); true believes any sender, safe only when nothing but the proxy reaches the port',
    ),
  REQUEST_TIMEOUT_SECONDS: positiveInt
    .max(600)
    .default(30)
    .describe(
      'longest a client may take to send a whole request, headers and body, before it is answered 408 and cut (Node requestTimeout)',
    ),
  CONNECTION_TIMEOUT_SECONDS: positiveInt
    .max(3600)
    .default(120)
    .describe(
      'longest a connection may stay silent while a request is under way, e.g. a client that stops reading its answer (Node server.timeout); more than DATABASE_STATEMENT_TIMEOUT_SECONDS',
    ),
  BODY_LIMIT_BYTES: positiveInt.default(1_048_576).describe('largest accepted request body'),
  WEBHOOK_BODY_LIMIT_BYTES: positiveInt
    .default(20_971_520)
    .describe('largest accepted SparkPost webhook batch (SparkPost sends up to several MB)'),
  RATE_LIMIT_PUBLIC_PER_MINUTE: positiveInt
    .default(60)
    .describe('requests per minute and client address on token pages and the login route'),
  RATE_LIMIT_ONE_CLICK_PER_MINUTE: positiveInt
    .default(6000)
    .describe(
      'RFC 8058 one-click withdrawals per minute and client address: mail providers send them for many candidates from one address',
    ),
  LOGIN_CONCURRENCY: positiveInt
    .max(16)
    .default(2)
    .describe(
      'password checks (scrypt, 128 MiB and a few hundred ms of CPU each) running at once in each process',
    ),
  LOGIN_QUEUE: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(10)
    .describe('logins that may wait for a password check in each process; more are answered 503 auth.busy'),
  CONSENT_LINK_TTL_DAYS: positiveInt.max(365).default(30).describe('how long a consent link stays valid'),
  MAIL_TRANSPORT: z
    .enum(['capture', 'smtp', 'sparkpost'])
    .optional()
    .describe('capture keeps mail in memory (shown at /dev/mail); default capture outside production'),
  SMTP_URL: z
    .url({ protocol: /^smtps?$/ })
    .optional()
    .describe('SMTP relay for MAIL_TRANSPORT=smtp (e.g. smtp://user:pass@relay:587)'),
  SPARKPOST_SMTP_URL: z
    .url({ protocol: /^smtps?$/ })
    .default('smtp://smtp.sparkpostmail.com:587')
    .describe('SparkPost SMTP relay; EU accounts use smtp.eu.sparkpostmail.com'),
  SPARKPOST_API_KEY: z
    .string()
    .min(1)
    .optional()
    .describe('SparkPost API key (SMTP password, suppression API)'),
  SPARKPOST_API_URL: z
    .url()
    .default('https://api.sparkpost.com/api/v1')
    .describe('SparkPost REST API; EU accounts use https://api.eu.sparkpost.com/api/v1'),
  SPARKPOST_WEBHOOK_AUTH: z
    .string()
    .trim()
    .refine(isWebhookAuthorization, 'must be "Bearer <token>" or "Basic <base64 of user:password>"')
    .optional()
    .describe('"Bearer <token>" or "Basic <base64>" exactly as configured on the SparkPost webhook'),
  TRACKING_UNMATCHED_DAYS: positiveInt
    .default(7)
    .describe('days provider events about no message of ours are kept before they are dropped'),
  TRACKING_OPENS_CLICKS: bool.default(false).describe('let the mail provider track opens and clicks'),
  MAIL_FROM: z
    .string()
    .min(3)
    .default('Candor <no-reply@candor.localhost>')
    .describe('sender of outreach mail'),
  MAIL_UNSUBSCRIBE_MAILTO: z.email().optional().describe('mailto address added to List-Unsubscribe'),
  MAIL_RATE_PER_SECOND: positiveInt.default(50).describe('mails per second per transport'),
  MAIL_CONCURRENCY: positiveInt
    .max(100)
    .default(50)
    .describe(
      'mails the worker has under way at once, in each process (they mostly wait on PostgreSQL and SMTP)',
    ),
  MAIL_RETRY_DELAY_MS: positiveInt
    .default(5000)
    .describe('first retry delay of a transient mail failure; it doubles on each of the 8 attempts'),
  NOTICE_LEAD_WORKING_DAYS: z.coerce
    .number()
    .int()
    .min(3)
    .max(15)
    .default(5)
    .describe('Art. 14 notices go out this many working days before the deadline (at least 3)'),
  RECONCILE_INTERVAL_SECONDS: positiveInt
    .default(60)
    .describe(
      'how often queued mail, erasures under way and the job schedulers are checked against the queue and re-created if lost',
    ),
  RECONCILE_AFTER_SECONDS: positiveInt
    .default(120)
    .describe('a message or an erasure this long without progress is checked for a lost job'),
  CONTROLLER_NAME: z.string().min(1).default('Candor Recruitment B.V.').describe('who we are, in every mail'),
  CONTROLLER_CONTACT: z.string().min(1).default('privacy@candor.localhost').describe('controller contact'),
  DPO_CONTACT: z.string().min(1).default('dpo@candor.localhost').describe('data protection officer contact'),
  SUPERVISORY_AUTHORITY: z
    .string()
    .min(1)
    .default('Autoriteit Persoonsgegevens, https://autoriteitpersoonsgegevens.nl')
    .describe('where a candidate may complain'),
  PROCESSORS: z
    .string()
    .default(
      'SparkPost|e-mail delivery and delivery events|US|EU Standard Contractual Clauses (2021/914) and the EU-US Data Privacy Framework',
    )
    .describe(
      'processors for the records of processing: name|activity|country|transfer safeguards, separated by ;',
    ),
  SECURITY_MEASURES: z
    .string()
    .default(
      'TLS for all traffic; high-risk identifiers encrypted per field (AES-256-GCM, rotated keys); passwords hashed with scrypt; ' +
        'least-privilege roles with 15-minute access tokens; every read of personal data written to an access log; ' +
        'append-only, hash-chained consent ledger; no personal data in logs or job queues; retention enforced daily',
    )
    .describe('technical and organisational measures (Art. 32) for the records of processing'),
  ERASURE_MANUAL_TASKS: z
    .string()
    .default("Search the recruiter's mailbox and delete mail with the person")
    .describe('manual erasure tasks, separated by |'),
})

export type Env = z.input<typeof configSchema>
type Parsed = z.output<typeof configSchema>

export interface Config extends Parsed {
  /** PUBLIC_BASE_URL without a trailing slash, defaulted from PORT. */
  publicBaseUrl: string
  mailTransport: 'capture' | 'smtp' | 'sparkpost'
  isProduction: boolean
}

/** The configuration once its secrets are there: configured in production, generated elsewhere (bootstrap.ts). */
export type ResolvedConfig = Config & {
  JWT_SECRET: string
  SERVER_SECRET: string
  FIELD_ENCRYPTION_KEYS: string
}

/** The configuration with its secrets, or an error naming the one missing: the service needs all three. */
export function resolvedConfig(config: Config): ResolvedConfig {
  const { JWT_SECRET, SERVER_SECRET, FIELD_ENCRYPTION_KEYS } = config
  if (!JWT_SECRET || !SERVER_SECRET || !FIELD_ENCRYPTION_KEYS) {
    const missing = (['JWT_SECRET', 'SERVER_SECRET', 'FIELD_ENCRYPTION_KEYS'] as const).filter(
      (key) => !config[key],
    )
    throw new ConfigError(`Invalid configuration:\n${missing.map((key) => `  ${key}: required`).join('\n')}`)
  }
  return { ...config, JWT_SECRET, SERVER_SECRET, FIELD_ENCRYPTION_KEYS }
}

/**
 * Each process's share of a limit set for the whole service. Processes count in their own memory
 * (a shared counter in Redis cost a round trip a request); the primary hands connections out in
 * turn, so the shares add up to at most the limit (at least one each). A client holding one
 * connection meets its process's share: stricter, never looser.
 */
export const processShare = (config: Pick<Config, 'WEB_CONCURRENCY'>, limit: number): number =>
  Math.max(1, Math.floor(limit / config.WEB_CONCURRENCY))

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parse the environment once; a bad value stops the process with the variable's name. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.keys(configSchema.shape).flatMap((key) => {
      const value = env[key]
      return value === undefined || value === '' ? [] : [[key, value]]
    }),
  )
  const result = configSchema.safeParse(cleaned)
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const parsed = result.data
  const isProduction = parsed.NODE_ENV === 'production'
  if (isProduction) {
    const missing = (
      ['JWT_SECRET', 'SERVER_SECRET', 'FIELD_ENCRYPTION_KEYS', 'PUBLIC_BASE_URL'] as const
    ).filter((key) => parsed[key] === undefined)
    if (missing.length > 0) {
      throw new ConfigError(
        `Invalid configuration:\n${missing.map((key) => `  ${key}: required when NODE_ENV=production`).join('\n')}`,
      )
    }
  }
  const mailTransport = parsed.MAIL_TRANSPORT ?? (isProduction ? undefined : 'capture')
  if (mailTransport === undefined) {
    throw new ConfigError('Invalid configuration:\n  MAIL_TRANSPORT: required when NODE_ENV=production')
  }
  if (mailTransport === 'capture' && isProduction) {
    throw new ConfigError('Invalid configuration:\n  MAIL_TRANSPORT: capture is for development only')
  }
  if (mailTransport === 'smtp' && !parsed.SMTP_URL) {
    throw new ConfigError('Invalid configuration:\n  SMTP_URL: required when MAIL_TRANSPORT=smtp')
  }
  if (mailTransport === 'sparkpost' && !parsed.SPARKPOST_API_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  SPARKPOST_API_KEY: required when MAIL_TRANSPORT=sparkpost',
    )
  }
  // Each process has its own memory: PGlite's database and the captured mail would be split.
  if (parsed.WEB_CONCURRENCY > 1 && !parsed.DATABASE_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  WEB_CONCURRENCY: above 1 needs DATABASE_URL (the embedded database serves one process)',
    )
  }
  if (parsed.WEB_CONCURRENCY > 1 && mailTransport === 'capture') {
    throw new ConfigError(
      'Invalid configuration:\n  WEB_CONCURRENCY: above 1 needs MAIL_TRANSPORT smtp or sparkpost (captured mail stays in one process)',
    )
  }
  // Node counts a computing handler as silence: a shorter cut would drop answers still on their way.
  if (parsed.CONNECTION_TIMEOUT_SECONDS <= parsed.DATABASE_STATEMENT_TIMEOUT_SECONDS) {
    throw new ConfigError(
      'Invalid configuration:\n  CONNECTION_TIMEOUT_SECONDS: must be more than DATABASE_STATEMENT_TIMEOUT_SECONDS',
    )
  }
  const publicBaseUrl = (parsed.PUBLIC_BASE_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/+$/, '')
  return { ...parsed, publicBaseUrl, mailTransport, isProduction }
}
