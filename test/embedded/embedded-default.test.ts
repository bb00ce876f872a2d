import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli'
import { deleteQueueKeys } from '../helpers/app'
import { freePort, type RunningService, startService, waitForServiceOk } from '../helpers/process'

// A working directory as after a clean clone: no .env, no ./data. The service is started there
// with nothing configured but a port and a queue prefix (shared Redis), so DATA_DIR is its
// default ./data, there is no DATABASE_URL (PGlite) and no secret: all come from the defaults.
const workDir = mkdtempSync(join(tmpdir(), 'candor-embedded-'))
const dataDir = join(workDir, 'data')
const prefix = `candor-embedded-${process.pid}`
const env: Record<string, string> = {
  QUEUE_PREFIX: prefix,
  LOG_LEVEL: 'warn',
  // Only when the suite's Redis is elsewhere; otherwise the default redis://127.0.0.1:6379, as `npm start`.
  ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
}
/** The promise: `npm start` answers /health/ready with 200 within 30 s. */
const READY_WITHIN_MS = 30_000
let service: RunningService | undefined

afterAll(async () => {
  await service?.stop()
  await deleteQueueKeys(prefix)
  rmSync(workDir, { recursive: true, force: true })
})

async function call(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${service!.baseUrl}${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  })
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & { id: string },
  }
}

/** Starts `src/server.ts` and returns the wall time from spawning it to the first 200 from /health/ready. */
async function start(): Promise<number> {
  const port = await freePort()
  const started = performance.now()
  service = await startService('src/server.ts', env, port, { cwd: workDir })
  await waitForServiceOk(service, '/health/ready', READY_WITHIN_MS)
  return performance.now() - started
}

describe('the embedded default (PGlite)', () => {
  it('starts cold from nothing, then serves a vacancy round trip to a CLI-made admin, and shuts down cleanly', async () => {
    expect(existsSync(dataDir)).toBe(false)
    expect(existsSync(join(workDir, '.env'))).toBe(false)

    // Cold start: empty data directory, migrations and secrets made by the service itself.
    const cold = await start()
    expect(cold).toBeLessThan(READY_WITHIN_MS)
    console.info(`cold start: /health/ready answered 200 after ${Math.round(cold)} ms`)
    const secretsFile = join(dataDir, 'secrets.json')
    expect(existsSync(secretsFile)).toBe(true)
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600)
    const secrets = readFileSync(secretsFile, 'utf8')
    expect(JSON.parse(secrets)).toEqual({
      JWT_SECRET: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/),
      SERVER_SECRET: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/),
      FIELD_ENCRYPTION_KEYS: expect.stringMatching(/^dev1:[A-Za-z0-9+/]{43}=$/),
    })
    expect(existsSync(join(dataDir, 'pglite'))).toBe(true)
    expect(
      (
        await call('POST', '/auth/token', undefined, {
          email: 'nobody@example.com',
          password: 'x'.repeat(12),
        })
      ).status,
    ).toBe(401)
    expect(await service!.stop()).toBe(0)

    // PGlite serves one process at a time: the admin is made while the service is stopped,
    // with the secrets the service generated (the CLI reads the same file and leaves it alone).
    await runCli(
      [
        'user:create',
        '--email',
        'first.admin@example.com',
        '--password',
        'embedded admin password',
        '--role',
        'admin',
      ],
      { DATA_DIR: dataDir },
    )
    expect(readFileSync(secretsFile, 'utf8')).toBe(secrets)

    const warm = await start()
    expect(warm).toBeLessThan(READY_WITHIN_MS)
    console.info(`restart: /health/ready answered 200 after ${Math.round(warm)} ms`)
    expect(readFileSync(secretsFile, 'utf8')).toBe(secrets)

    const login = await call('POST', '/auth/token', undefined, {
      email: 'first.admin@example.com',
      password: 'embedded admin password',
    })
    expect(login.status).toBe(200)
    const token = String(login.body.accessToken)
    const client = await call('POST', '/clients', token, { name: 'Embedded B.V.', country: 'NL' })
    expect(client.status).toBe(201)
    expect(
      (
        await call('POST', `/clients/${client.body.id}/agreements`, token, {
          version: '1',
          signedAt: '2026-01-01T00:00:00Z',
          role: 'controller',
          documentRef: 'dms://1',
        })
      ).status,
    ).toBe(201)
    const vacancy = await call('POST', '/vacancies', token, {
      clientId: client.body.id,
      title: 'Embedded engineer',
      purpose: 'Recruiting an engineer for the embedded team of the client, this role only.',
      legalBasis: 'consent',
    })
    expect(vacancy.status).toBe(201)
    expect((await call('PATCH', `/vacancies/${vacancy.body.id}`, token, { status: 'open' })).status).toBe(200)
    const read = await call('GET', `/vacancies/${vacancy.body.id}`, token)
    expect(read.body).toMatchObject({
      id: vacancy.body.id,
      title: 'Embedded engineer',
      status: 'open',
      legalBasis: 'consent',
    })

    expect(await service!.stop()).toBe(0)
    expect(service!.output()).not.toMatch(/"level":(50|60)/)
  }, 120_000)
})
