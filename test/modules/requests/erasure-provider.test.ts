import { createServer, type Server } from 'node:http'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { runErasure } from '../../../src/modules/requests/erasure.service'
import { startTestApp, type TestApp } from '../../helpers/app'
import { json, type SeededVacancy, seedOpenVacancy, sourcingPayload } from '../../helpers/seed'
import {
  type ErasureRequest,
  erasedEvents,
  heldRows,
  type Someone,
  verifiedErasure,
} from './erasure.fixtures'

/**
 * With SparkPost configured, erasure asks the provider to suppress the address (its REST
 * suppression list). A provider that fails must not make the erasure skip that step: the step
 * stays to be done and runs again. No workers here: the test runs the erasure itself.
 */

interface ProviderCall {
  method: string
  url: string
  authorization: string | undefined
  body: unknown
}

let t: TestApp
let vacancy: SeededVacancy
let second: SeededVacancy
let server: Server
const calls: ProviderCall[] = []
const answers: number[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      calls.push({
        method: request.method!,
        url: request.url!,
        authorization: request.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
      })
      const status = answers.shift() ?? 200
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(status === 200 ? '{"results":{}}' : '{"errors":[{"message":"try later"}]}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  t = await startTestApp({
    env: {
      RUN_WORKERS: 'false',
      MAIL_TRANSPORT: 'sparkpost',
      SPARKPOST_API_KEY: 'test-sparkpost-key',
      SPARKPOST_API_URL: `http://127.0.0.1:${port}/api/v1`,
    },
  })
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t, { clientName: 'Provider Erasure B.V.' })
  second = await seedOpenVacancy(t, { clientName: 'Second Provider B.V.' })
})
afterAll(async () => {
  await t?.close()
  await new Promise((resolve) => server.close(resolve))
})

describe('erasure at the mail provider', () => {
  it('a provider that fails leaves the provider step to be done; run again, it asks once more, then erases', async () => {
    const email = 'Provider.Fails@Example.org'
    const person: Someone = { email, name: 'Provider Fails Persona', phone: '', candidacyIds: [] }
    for (const target of [vacancy, second]) {
      const candidacy = json<{ id: string }>(
        await t.request({
          method: 'POST',
          url: `/vacancies/${target.id}/candidacies`,
          as: target.recruiter,
          payload: sourcingPayload({ email, fullName: person.name }),
        }),
        201,
      )
      person.candidacyIds.push(candidacy.id)
    }
    const requestId = await verifiedErasure(t, vacancy.dpo, person)
    json(await t.request({ method: 'POST', url: `/requests/${requestId}/complete`, as: vacancy.dpo }), 200)
    const step = async () =>
      (
        await queryRows<{ current_step: string }>(
          t.app.db,
          sql`select current_step from subject_requests where id = ${requestId}`,
        )
      )[0]!.current_step

    answers.push(503)
    await expect(runErasure(t.app.services, requestId)).rejects.toThrow(/answered 503/)
    expect(calls).toHaveLength(1)
    expect(await step()).toBe('provider')
    expect(await erasedEvents(t, person)).toEqual([0, 0])
    expect((await heldRows(t, person)).people).toBe(1)

    expect(await runErasure(t.app.services, requestId)).toBe('tasks')
    const asked = {
      method: 'PUT',
      url: '/api/v1/suppression-list',
      authorization: 'test-sparkpost-key',
      body: {
        recipients: [
          {
            recipient: 'provider.fails@example.org',
            type: 'non_transactional',
            description: 'GDPR Art. 17 erasure',
          },
        ],
      },
    }
    expect(calls).toEqual([asked, asked])
    expect(await erasedEvents(t, person)).toEqual([1, 1])

    const waiting = json<{ tasks: Array<{ id: string }> }>(
      await t.request({ method: 'GET', url: `/requests/${requestId}`, as: vacancy.dpo }),
      200,
    )
    const done = json<ErasureRequest>(
      await t.request({
        method: 'POST',
        url: `/requests/${requestId}/tasks/${waiting.tasks[0]!.id}/confirm`,
        as: vacancy.dpo,
      }),
      200,
    )
    expect(done).toMatchObject({ status: 'completed', currentStep: 'done', result: { check: { found: [] } } })
    // Each step ran once to its end: the provider step is stored once, after its second try.
    expect(
      done.transitions.map((entry: { status: string; step?: string }) => entry.step ?? entry.status),
    ).toEqual([
      'received',
      'verified',
      'in_progress',
      'cancel_mail',
      'provider',
      'erase',
      'tasks',
      'proof',
      'completed',
    ])
    expect(calls).toHaveLength(2)
  })
})
