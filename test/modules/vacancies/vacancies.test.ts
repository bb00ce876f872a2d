import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp, type TestUser } from '../../helpers/app'
import { json, PURPOSE, seedOpenVacancy } from '../../helpers/seed'

let t: TestApp
let recruiter: TestUser
let dpo: TestUser

beforeAll(async () => {
  t = await startTestApp()
  recruiter = await t.user('recruiter')
  dpo = await t.user('dpo')
})
afterAll(() => t.close())

async function newClient(name = 'Globex'): Promise<string> {
  return json<{ id: string }>(
    await t.request({ method: 'POST', url: '/clients', as: recruiter, payload: { name, country: 'NL' } }),
    201,
  ).id
}

async function recordAgreement(clientId: string) {
  json(
    await t.request({
      method: 'POST',
      url: `/clients/${clientId}/agreements`,
      as: recruiter,
      payload: { version: 'v1', signedAt: '2026-01-01T00:00:00Z', role: 'processor', documentRef: 'dms://1' },
    }),
    201,
  )
}

async function newVacancy(clientId: string, extra: Record<string, unknown> = {}): Promise<string> {
  return json<{ id: string }>(
    await t.request({
      method: 'POST',
      url: '/vacancies',
      as: recruiter,
      payload: {
        clientId,
        title: 'Data engineer',
        purpose: PURPOSE,
        legalBasis: 'legitimate_interest',
        ...extra,
      },
    }),
    201,
  ).id
}

const open = (id: string) =>
  t.request({ method: 'PATCH', url: `/vacancies/${id}`, as: recruiter, payload: { status: 'open' } })
const assess = (id: string) =>
  t.request({
    method: 'POST',
    url: `/vacancies/${id}/assessment`,
    as: recruiter,
    payload: { purposeTest: 'p', necessityTest: 'n', balancingTest: 'b' },
  })

describe('vacancies', () => {
  it('a recruiter opens a legitimate-interest vacancy once the client has an agreement and a DPO approved the assessment', async () => {
    const { id } = await seedOpenVacancy(t)
    const vacancy = json<Record<string, unknown>>(
      await t.request({ method: 'GET', url: `/vacancies/${id}`, as: recruiter }),
      200,
    )
    expect(vacancy).toMatchObject({
      status: 'open',
      legalBasis: 'legitimate_interest',
      retentionDays: 28,
      dpiaRequired: false,
    })
    expect(vacancy.assessment).toMatchObject({
      approvedBy: expect.any(String),
      approvedAt: expect.any(String),
    })
    expect(vacancy.openedAt).toBe(t.clock.now().toISOString())
  })

  it('refuses to open without a processing agreement', async () => {
    const id = await newVacancy(await newClient())
    const response = await open(id)
    expect(response.statusCode).toBe(409)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json()).toMatchObject({
      code: 'vacancy.agreement_required',
      type: 'https://candor.dev/problems/agreement-required',
    })
  })

  it('refuses to open a legitimate-interest vacancy without an assessment, and with one not yet approved', async () => {
    const clientId = await newClient()
    await recordAgreement(clientId)
    const id = await newVacancy(clientId)
    expect((await open(id)).json()).toMatchObject({ status: 409, code: 'vacancy.assessment_required' })
    json(await assess(id), 200)
    const pending = await open(id)
    expect(pending.json()).toMatchObject({
      code: 'vacancy.assessment_required',
      detail: expect.stringContaining('awaits approval'),
    })
  })

  it('only a DPO or admin approves an assessment, and a revision needs approval again', async () => {
    const clientId = await newClient()
    await recordAgreement(clientId)
    const id = await newVacancy(clientId)
    json(await assess(id), 200)
    expect(
      (await t.request({ method: 'POST', url: `/vacancies/${id}/assessment/approve`, as: recruiter }))
        .statusCode,
    ).toBe(403)
    json(await t.request({ method: 'POST', url: `/vacancies/${id}/assessment/approve`, as: dpo }), 200)
    const revised = json<{ assessment: { approvedAt: string | null } }>(await assess(id), 200)
    expect(revised.assessment.approvedAt).toBeNull()
    expect((await open(id)).statusCode).toBe(409)
  })

  it('refuses to open a vacancy that needs a DPIA until one is recorded', async () => {
    const clientId = await newClient()
    await recordAgreement(clientId)
    const id = await newVacancy(clientId, { legalBasis: 'consent', profiling: true })
    const refused = await open(id)
    expect(refused.json()).toMatchObject({
      status: 409,
      code: 'vacancy.dpia_required',
      detail: expect.stringContaining('profiling'),
    })
    json(
      await t.request({
        method: 'POST',
        url: `/vacancies/${id}/dpia`,
        as: dpo,
        payload: { reference: 'dms://dpia/1', summary: 'Ranking is advisory only; a human decides.' },
      }),
      200,
    )
    expect(json<{ status: string }>(await open(id), 200).status).toBe('open')
  })

  it('a consent vacancy needs no assessment and refuses one', async () => {
    const clientId = await newClient()
    await recordAgreement(clientId)
    const id = await newVacancy(clientId, { legalBasis: 'consent' })
    expect((await assess(id)).json()).toMatchObject({ code: 'vacancy.assessment_not_applicable' })
    expect(json<{ status: string }>(await open(id), 200).status).toBe('open')
  })

  it('fixes purpose and basis once open, and moves only draft → open → closed', async () => {
    const { id } = await seedOpenVacancy(t)
    const edit = await t.request({
      method: 'PATCH',
      url: `/vacancies/${id}`,
      as: recruiter,
      payload: { purpose: `${PURPOSE} And more.` },
    })
    expect(edit.json()).toMatchObject({ status: 409, code: 'vacancy.not_editable' })
    json(
      await t.request({
        method: 'PATCH',
        url: `/vacancies/${id}`,
        as: recruiter,
        payload: { title: 'Renamed' },
      }),
      200,
    )
    const closed = json<{ status: string; closedAt: string }>(
      await t.request({
        method: 'PATCH',
        url: `/vacancies/${id}`,
        as: recruiter,
        payload: { status: 'closed' },
      }),
      200,
    )
    expect(closed.status).toBe('closed')
    expect((await open(id)).json()).toMatchObject({ status: 409, code: 'vacancy.invalid_transition' })
  })

  it('a client user sees its own client and vacancies and nobody else’s', async () => {
    const mine = await seedOpenVacancy(t, { clientName: 'Mine' })
    const theirs = await seedOpenVacancy(t, { clientName: 'Theirs' })
    const clientUser = await t.user('client', { clientId: mine.clientId })
    json(await t.request({ method: 'GET', url: `/vacancies/${mine.id}`, as: clientUser }), 200)
    expect(
      (await t.request({ method: 'GET', url: `/vacancies/${theirs.id}`, as: clientUser })).statusCode,
    ).toBe(404)
    expect(
      (await t.request({ method: 'GET', url: `/clients/${theirs.clientId}`, as: clientUser })).statusCode,
    ).toBe(404)
    const list = json<Array<{ clientId: string }>>(
      await t.request({ method: 'GET', url: `/vacancies?clientId=${theirs.clientId}`, as: clientUser }),
      200,
    )
    expect(list.length).toBeGreaterThan(0)
    expect(list.every((vacancy) => vacancy.clientId === mine.clientId)).toBe(true)
    const clients = json<Array<{ id: string }>>(
      await t.request({ method: 'GET', url: '/clients', as: clientUser }),
      200,
    )
    expect(clients.map((client) => client.id)).toEqual([mine.clientId])
  })

  it('reports an unknown vacancy and an unknown client as 404 problems', async () => {
    const id = '00000000-0000-4000-8000-000000000000'
    expect((await t.request({ method: 'GET', url: `/vacancies/${id}`, as: recruiter })).json()).toMatchObject(
      { code: 'vacancy.not_found' },
    )
    const response = await t.request({
      method: 'POST',
      url: '/vacancies',
      as: recruiter,
      payload: { clientId: id, title: 'x', purpose: PURPOSE, legalBasis: 'consent' },
    })
    expect(response.json()).toMatchObject({ status: 404, code: 'client.not_found' })
  })
})
