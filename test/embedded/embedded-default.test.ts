import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli'
import { deleteQueueKeys, testSecrets } from '../helpers/app'
import { freePort, type RunningService, startService, waitForOk } from '../helpers/process'

const dataDir = mkdtempSync(join(tmpdir(), 'candor-embedded-'))
const prefix = `candor-embedded-${process.pid}`
// No DATABASE_URL: the embedded PGlite database under DATA_DIR, as after `npm install && npm start`.
const env = { DATA_DIR: dataDir, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', ...testSecrets() }
let service: RunningService | undefined

afterAll(async () => {
  await service?.stop()
  await deleteQueueKeys(prefix)
  rmSync(dataDir, { recursive: true, force: true })
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

describe('the embedded default (PGlite)', () => {
  it('migrates, serves a vacancy round trip, and shuts down cleanly on SIGTERM', async () => {
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
      env,
    )

    service = await startService('src/server.ts', env, await freePort())
    const elapsed = await waitForOk(`${service.baseUrl}/health/ready`, 30_000)
    expect(elapsed).toBeLessThan(30_000)

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

    expect(await service.stop()).toBe(0)
    expect(service.output()).not.toMatch(/"level":(50|60)/)
  })
})
