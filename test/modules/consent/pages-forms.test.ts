import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../../../src/db/client'
import { startTestApp, type TestApp } from '../../helpers/app'
import { formTokenOf, type SeededVacancy, seedOpenVacancy } from '../../helpers/seed'
import { candidateLinks, type PageLinks, pageState, postForm } from './page-links.fixtures'

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp()
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t)
})
afterAll(() => t.close())

const pages = (links: PageLinks) => [links.consent, links.withdraw, links.selfService]
// The service's own origin in the tests (PUBLIC_BASE_URL).
const OWN = 'http://candor.test'

/** A refusal: 403, a page in the person's language saying why, and nothing changed. */
async function expectRefused(path: string, headers: Record<string, string>, says: RegExp, form?: string) {
  const before = await pageState(t)
  const response = await postForm(t, path, { headers, ...(form === undefined ? {} : { form }) })
  const where = `${path} ${JSON.stringify(headers)}`
  expect(response.statusCode, where).toBe(403)
  expect(response.headers['content-type'], where).toContain('text/html')
  expect(response.body, where).toMatch(says)
  expect(await pageState(t), where).toEqual(before)
  return response
}

describe('a POST from another site (CSRF)', () => {
  it.each([
    ['an Origin of another site', { origin: 'http://evil.test' }],
    ['a Referer of another site, without Origin', { referer: 'http://evil.test/page' }],
    ['an opaque Origin with a Referer of another site', { origin: 'null', referer: 'https://evil.test/' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (a sibling host)', { 'sec-fetch-site': 'same-site' }],
    [
      'same-origin Fetch Metadata but a foreign Origin',
      { 'sec-fetch-site': 'same-origin', origin: 'http://evil.test' },
    ],
    ['our host on another scheme', { origin: 'https://candor.test' }],
    ['a Referer that is no URL', { referer: 'not a url' }],
  ])('is refused with a page when it carries %s, though its form token is good', async (_case, headers) => {
    const links = await candidateLinks(t, vacancy, 'en')
    for (const path of pages(links)) await expectRefused(path, headers, /another website/)
  })

  it('is refused in the person’s language', async () => {
    const links = await candidateLinks(t, vacancy, 'nl')
    const response = await expectRefused(links.consent, { origin: 'http://evil.test' }, /andere website/)
    expect(response.body).toContain('<html lang="nl">')
  })

  it.each([
    ['our own Origin', { origin: OWN }],
    ['our own Referer', { referer: `${OWN}/c/whatever?lang=en` }],
    [
      'Sec-Fetch-Site: same-origin with the opaque Origin our no-referrer pages cause',
      {
        'sec-fetch-site': 'same-origin',
        origin: 'null',
      },
    ],
    ['no Origin and no Referer (a privacy-minded browser): the form token decides', {}],
  ])('is accepted from our own page: %s', async (_case, headers) => {
    const links = await candidateLinks(t, vacancy, 'en')
    for (const path of pages(links)) {
      const response = await postForm(t, path, { headers })
      expect(response.statusCode, path).toBe(200)
    }
  })

  it('accepts RFC 8058 one-click from a mail provider’s servers, whatever site it names', async () => {
    const links = await candidateLinks(t, vacancy, 'en')
    const response = await t.request({
      method: 'POST',
      url: links.withdraw,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://mail.provider.example',
        referer: 'https://mail.provider.example/inbox',
        'sec-fetch-site': 'cross-site',
      },
      payload: 'List-Unsubscribe=One-Click',
    })
    expect(response.statusCode).toBe(200)
    const [row] = await queryRows<{ stage: string }>(
      t.app.db,
      sql`select stage from candidacies where id = ${links.candidacyId}`,
    )
    expect(row?.stage).toBe('objected')
  })
})

describe('the form token', () => {
  it('is refused once the page has been open for more than an hour, and accepted just before', async () => {
    const links = await candidateLinks(t, vacancy, 'en')
    const forms = await Promise.all(
      pages(links).map(async (path) => formTokenOf((await t.request({ method: 'GET', url: path })).body)),
    )
    t.clock.advance({ minutes: 61 })
    try {
      for (const [index, path] of pages(links).entries()) {
        await expectRefused(path, {}, /open too long/, forms[index])
      }
    } finally {
      t.clock.advance({ minutes: -61 })
    }
    t.clock.advance({ minutes: 59 })
    try {
      for (const [index, path] of pages(links).entries()) {
        expect((await postForm(t, path, { form: forms[index] })).statusCode, path).toBe(200)
      }
    } finally {
      t.clock.advance({ minutes: -59 })
    }
  })

  it('belongs to one link and one action: another link’s, or another page’s, is refused', async () => {
    const mine = await candidateLinks(t, vacancy, 'en')
    const other = await candidateLinks(t, vacancy, 'en')
    const formOf = async (path: string) => formTokenOf((await t.request({ method: 'GET', url: path })).body)
    await expectRefused(mine.consent, {}, /Please try again/, await formOf(other.consent))
    await expectRefused(mine.consent, {}, /Please try again/, await formOf(mine.withdraw))
    await expectRefused(mine.withdraw, {}, /Please try again/, await formOf(mine.selfService))
    const good = await formOf(mine.consent)
    const [issuedAt, nonce, mac] = good.split('.')
    // A later issue time with the same signature: the HMAC covers the time.
    await expectRefused(
      mine.consent,
      {},
      /Please try again/,
      `${Number(issuedAt) + 3_600_000}.${nonce}.${mac}`,
    )
  })

  it('replayed, changes nothing: each page moves its link forward once and then shows where it stands', async () => {
    const links = await candidateLinks(t, vacancy, 'en')
    const forms = {
      consent: formTokenOf((await t.request({ method: 'GET', url: links.consent })).body),
      withdraw: formTokenOf((await t.request({ method: 'GET', url: links.withdraw })).body),
      selfService: formTokenOf((await t.request({ method: 'GET', url: links.selfService })).body),
    }
    const first = await postForm(t, links.selfService, { form: forms.selfService })
    expect(first.statusCode).toBe(200)
    const answer = await postForm(t, links.consent, { form: forms.consent })
    expect(answer.body).toContain('your consent is recorded')
    const afterFirst = await pageState(t)

    // The same form again, even with the other choice: the answer recorded stands.
    const replayed = await postForm(t, links.consent, { form: forms.consent, fields: 'choice=decline' })
    expect(replayed.statusCode).toBe(200)
    expect(replayed.body).toContain('your consent is recorded')
    // The same request again joins the open one: one request, one due date.
    const again = await postForm(t, links.selfService, { form: forms.selfService })
    expect(again.statusCode).toBe(200)
    expect(await pageState(t)).toEqual(afterFirst)

    const withdrawn = await postForm(t, links.withdraw, { form: forms.withdraw })
    expect(withdrawn.body).toContain('Done: you withdrew')
    const afterWithdrawal = await pageState(t)
    const replayedWithdrawal = await postForm(t, links.withdraw, { form: forms.withdraw })
    expect(replayedWithdrawal.statusCode).toBe(200)
    expect(replayedWithdrawal.body).toContain('Done: you withdrew')
    expect(await pageState(t)).toEqual(afterWithdrawal)
  })
})
