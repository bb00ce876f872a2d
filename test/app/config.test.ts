import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { envExample, problemsDoc, readmeWithConfig } from '../../scripts/generated-docs'
import { ConfigError, loadConfig, processShare } from '../../src/config'

describe('configuration', () => {
  it('has a safe default for every key a newcomer does not set', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      JURISDICTION: 'NL',
      RUN_WORKERS: true,
      mailTransport: 'capture',
      publicBaseUrl: 'http://localhost:3000',
    })
    expect(config.DATABASE_URL).toBeUndefined()
  })

  it.each([
    ['PORT', 'seventy'],
    ['DATABASE_URL', 'mysql://localhost/candor'],
    ['JURISDICTION', 'Netherlands'],
    ['RUN_WORKERS', 'yes please'],
    ['JWT_SECRET', 'short'],
    ['FIELD_ENCRYPTION_KEYS', 'k1:not-a-key'],
    ['SPARKPOST_WEBHOOK_AUTH', 'user:secret'],
    ['SPARKPOST_WEBHOOK_AUTH', 'Basic user:secret'],
    ['SPARKPOST_WEBHOOK_AUTH', `Basic ${Buffer.from('no colon').toString('base64')}`],
    ['SPARKPOST_WEBHOOK_AUTH', 'bearer token-in-lower-case-scheme'],
    ['SPARKPOST_WEBHOOK_AUTH', 'Bearer two words'],
    ['TRUST_PROXY', '1'],
    ['TRUST_PROXY', 'proxy.example.com'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['REQUEST_TIMEOUT_SECONDS', '0'],
    ['LOGIN_CONCURRENCY', '0'],
  ])('stops on a bad %s (%s) with a message naming it', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrowError(
      new RegExp(`^Invalid configuration:\\n  ${key}: `),
    )
  })

  it('accepts the Authorization values SparkPost sends, and says which forms it takes without echoing one', () => {
    const basic = `Basic ${Buffer.from('sparkpost:a secret').toString('base64')}`
    expect(loadConfig({ SPARKPOST_WEBHOOK_AUTH: basic }).SPARKPOST_WEBHOOK_AUTH).toBe(basic)
    expect(loadConfig({ SPARKPOST_WEBHOOK_AUTH: ' Bearer abc-._~+/123= ' }).SPARKPOST_WEBHOOK_AUTH).toBe(
      'Bearer abc-._~+/123=',
    )
    expect(() => loadConfig({ SPARKPOST_WEBHOOK_AUTH: 'user:secret' })).toThrowError(
      /SPARKPOST_WEBHOOK_AUTH: must be "Bearer <token>" or "Basic <base64 of user:password>"$/,
    )
    expect(() => loadConfig({ SPARKPOST_WEBHOOK_AUTH: 'user:secret' })).not.toThrowError(/secret/)
  })

  it('believes no X-Forwarded-For unless told which proxies to believe, in production too', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'j'.repeat(32),
      SERVER_SECRET: 's'.repeat(32),
      FIELD_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32).toString('base64')}`,
      PUBLIC_BASE_URL: 'https://candor.example',
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: 'smtp://relay:587',
    }
    expect(loadConfig({}).TRUST_PROXY).toBe(false)
    expect(loadConfig(production).TRUST_PROXY).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true)
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1,fd00::/8,loopback' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
      'fd00::/8',
      'loopback',
    ])
    expect(() => loadConfig({ TRUST_PROXY: '2' })).toThrowError(/TRUST_PROXY: a hop count cannot tell/)
  })

  it('cuts slow requests and silent connections, never while an answer may still be computed', () => {
    expect(loadConfig({})).toMatchObject({ REQUEST_TIMEOUT_SECONDS: 30, CONNECTION_TIMEOUT_SECONDS: 120 })
    expect(() =>
      loadConfig({ CONNECTION_TIMEOUT_SECONDS: '60', DATABASE_STATEMENT_TIMEOUT_SECONDS: '60' }),
    ).toThrowError(/CONNECTION_TIMEOUT_SECONDS: must be more than DATABASE_STATEMENT_TIMEOUT_SECONDS/)
  })

  it('requires every secret, the public URL and a real mail transport in production', () => {
    let message = ''
    try {
      loadConfig({ NODE_ENV: 'production' })
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      message = (error as Error).message
    }
    for (const key of ['JWT_SECRET', 'SERVER_SECRET', 'FIELD_ENCRYPTION_KEYS', 'PUBLIC_BASE_URL'])
      expect(message).toContain(key)
    const secrets = {
      NODE_ENV: 'production',
      JWT_SECRET: 'j'.repeat(32),
      SERVER_SECRET: 's'.repeat(32),
      FIELD_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32).toString('base64')}`,
      PUBLIC_BASE_URL: 'https://candor.example',
    }
    expect(() => loadConfig(secrets)).toThrowError(/MAIL_TRANSPORT: required/)
    expect(() => loadConfig({ ...secrets, MAIL_TRANSPORT: 'capture' })).toThrowError(/development only/)
    expect(() => loadConfig({ ...secrets, MAIL_TRANSPORT: 'smtp' })).toThrowError(/SMTP_URL: required/)
    expect(
      loadConfig({ ...secrets, MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtp://relay:587' }).isProduction,
    ).toBe(true)
  })

  it('runs several processes only on a shared database and a real mail transport', () => {
    expect(loadConfig({}).WEB_CONCURRENCY).toBe(1)
    expect(() => loadConfig({ WEB_CONCURRENCY: '2' })).toThrowError(/WEB_CONCURRENCY: .*DATABASE_URL/)
    const database = { DATABASE_URL: 'postgres://127.0.0.1/candor' }
    expect(() => loadConfig({ ...database, WEB_CONCURRENCY: '2' })).toThrowError(
      /WEB_CONCURRENCY: .*MAIL_TRANSPORT/,
    )
    expect(
      loadConfig({ ...database, WEB_CONCURRENCY: '2', MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtp://relay:587' })
        .WEB_CONCURRENCY,
    ).toBe(2)
  })

  it('shares a limit out between the processes without passing it, at least one each', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (processes, limit) => {
          const share = processShare({ WEB_CONCURRENCY: processes }, limit)
          expect(share).toBeGreaterThanOrEqual(1)
          if (limit >= processes) {
            expect(share * processes).toBeLessThanOrEqual(limit)
            expect(share * processes).toBeGreaterThan(limit - processes)
          }
        },
      ),
    )
    expect(processShare({ WEB_CONCURRENCY: 1 }, 60)).toBe(60)
  })

  it('.env.example lists every key with its default (npm run docs)', () => {
    expect(readFileSync('.env.example', 'utf8')).toBe(envExample())
  })

  it("README.md's configuration table lists every key (npm run docs)", () => {
    const readme = readFileSync('README.md', 'utf8')
    expect(readme).toBe(readmeWithConfig(readme))
  })

  it('docs/problems.md lists every problem code (npm run docs)', () => {
    expect(readFileSync('docs/problems.md', 'utf8')).toBe(problemsDoc())
  })
})
