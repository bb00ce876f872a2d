import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_PARAM_LENGTH } from '../../../src/lib/schemas'
import { startTestApp, type TestApp } from '../../helpers/app'
import { type SeededVacancy, seedOpenVacancy } from '../../helpers/seed'
import { candidateLinks, errorLogs, type PageLinks, pageKind, postForm } from './page-links.fixtures'

let t: TestApp
let vacancy: SeededVacancy

beforeAll(async () => {
  t = await startTestApp()
  t.clock.set('2026-02-10T09:00:00Z')
  vacancy = await seedOpenVacancy(t)
})
afterAll(() => t.close())

const pages = (links: PageLinks) => [links.consent, links.withdraw, links.selfService]
const htmlLang = (body: string) => body.match(/<html lang="(\w+)">/)?.[1]

/** What each page says once its form went through, in English. */
const answered = { c: 'your consent is recorded', w: 'Done: you withdrew', r: 'We received your request' }

describe('an unknown language on a candidate page', () => {
  const odd = ['xx', '../../../package', 'EN', 'lang=en']

  it.each(['en', 'nl'] as const)('GET shows the page in the person’s language (%s)', async (language) => {
    const links = await candidateLinks(t, vacancy, language)
    for (const path of pages(links)) {
      for (const lang of odd) {
        const response = await t.request({ method: 'GET', url: `${path}?lang=${encodeURIComponent(lang)}` })
        expect(response.statusCode, `${path} ${lang}`).toBe(200)
        expect(response.headers['content-type']).toContain('text/html')
        expect(htmlLang(response.body), `${path} ${lang}`).toBe(language)
      }
      // Twice is a list, not a language.
      const twice = await t.request({ method: 'GET', url: `${path}?lang=en&lang=nl` })
      expect(htmlLang(twice.body)).toBe(language)
    }
    expect(errorLogs(t)).toEqual([])
  })

  it('POST acts, and answers in the person’s language', async () => {
    const links = await candidateLinks(t, vacancy, 'en')
    for (const path of pages(links)) {
      const response = await postForm(t, path, { query: '?lang=xx' })
      expect(response.statusCode, path).toBe(200)
      expect(htmlLang(response.body), path).toBe('en')
      expect(response.body).toContain(answered[pageKind(path)])
    }
    expect(errorLogs(t)).toEqual([])
  })

  it('a refused POST and a rate-limited one answer in a known language too', async () => {
    const links = await candidateLinks(t, vacancy, 'en')
    const refused = await postForm(t, links.consent, { query: '?lang=xx', form: 'not-a-form-token' })
    expect(refused.statusCode).toBe(403)
    expect(htmlLang(refused.body)).toBe('en')
    const limited = await startTestApp({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '1' } })
    try {
      const url = `/c/${'y'.repeat(43)}?lang=xx`
      await limited.request({ method: 'GET', url })
      const response = await limited.request({ method: 'GET', url })
      expect(response.statusCode).toBe(429)
      expect(response.headers['content-type']).toContain('text/html')
      expect(htmlLang(response.body)).toBe('nl')
      expect(errorLogs(limited)).toEqual([])
    } finally {
      await limited.close()
    }
  })

  it('parameters a mail client appends are ignored; a known lang still counts', async () => {
    const links = await candidateLinks(t, vacancy, 'nl')
    for (const path of pages(links)) {
      const response = await t.request({
        method: 'GET',
        url: `${path}?utm_source=newsletter&lang=en&fbclid=IwAR0abc&utm_medium=email`,
      })
      expect(response.statusCode, path).toBe(200)
      expect(htmlLang(response.body), path).toBe('en')
    }
    const posted = await postForm(t, links.consent, { query: '?utm_source=newsletter&mc_eid=123' })
    expect(posted.statusCode).toBe(200)
    expect(posted.body).toContain('uw toestemming is vastgelegd')
  })
})

describe('a token no link has', () => {
  const prefixes = ['/c/', '/w/', '/r/', '/d/', '/t/']

  it.each([44, MAX_PARAM_LENGTH, MAX_PARAM_LENGTH + 1, 150, 200, 201, 4000])(
    'of %i characters gets the bad-link page, never a 414 or JSON',
    async (length) => {
      const token = 'a'.repeat(length)
      for (const prefix of prefixes) {
        for (const method of ['GET', 'POST'] as const) {
          if (method === 'POST' && prefix === '/d/') continue
          const response = await t.request({
            method,
            url: `${prefix}${token}?lang=en`,
            ...(method === 'POST'
              ? {
                  headers: { 'content-type': 'application/x-www-form-urlencoded' },
                  payload: 'choice=consent&type=access&form=x',
                }
              : {}),
          })
          const where = `${method} ${prefix} ${length}`
          expect(response.statusCode, where).toBe(404)
          expect(response.headers['content-type'], where).toContain('text/html')
          expect(response.headers['cache-control'], where).toBe('no-store')
          expect(response.headers['content-security-policy'], where).toContain("frame-ancestors 'none'")
        }
      }
    },
  )

  it('a malformed escape in the link gets the bad-link page too', async () => {
    const response = await t.request({ method: 'GET', url: '/c/%E0%A4%A' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toContain('text/html')
  })

  it('elsewhere, an overlong parameter is a problem document that does not echo it', async () => {
    const recruiter = await t.user('recruiter')
    const id = 'b'.repeat(MAX_PARAM_LENGTH + 1)
    const response = await t.request({ method: 'GET', url: `/vacancies/${id}`, as: recruiter })
    expect(response.statusCode).toBe(414)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json()).toMatchObject({ code: 'request.uri_too_long' })
    expect(response.body).not.toContain(id)
  })

  it('a form that cannot be read gets a page asking to open the link again', async () => {
    const links = await candidateLinks(t, vacancy, 'en')
    for (const [path, payload] of [
      [links.consent, 'choice=maybe&form=x'],
      [links.consent, 'form=x'],
      [links.consent, ''],
      [links.selfService, 'type=everything&form=x'],
      [`/t/${'t'.repeat(43)}`, 'choice=maybe&form=x'],
    ] as const) {
      const response = await t.request({
        method: 'POST',
        url: `${path}?lang=en`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload,
      })
      expect(response.statusCode, `${path} ${payload}`).toBe(400)
      expect(response.headers['content-type']).toContain('text/html')
      expect(response.body).toContain('Please try again')
    }
  })

  it('a multipart body that cannot be read gets that page too, not a 500', async () => {
    const links = await candidateLinks(t, vacancy, 'en')
    for (const path of [links.consent, links.withdraw]) {
      for (const [contentType, payload] of [
        ['multipart/form-data', 'List-Unsubscribe=One-Click'],
        ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="List-Unsub'],
      ] as const) {
        const response = await t.request({
          method: 'POST',
          url: `${path}?lang=en`,
          headers: { 'content-type': contentType },
          payload,
        })
        expect(response.statusCode, `${path} ${contentType}`).toBe(400)
        expect(response.headers['content-type']).toContain('text/html')
      }
    }
    expect(errorLogs(t)).toEqual([])
  })
})

interface Operation {
  tags?: string[]
  parameters?: Array<{ in: string; name: string; schema: { maxLength?: number } }>
  requestBody?: { content: Record<string, unknown> }
  responses: Record<string, { content?: Record<string, unknown> }>
}

describe('the OpenAPI document of the candidate pages', () => {
  const operations = () => {
    const document: { paths?: Record<string, Record<string, unknown> | undefined> } = t.app.swagger()
    return Object.entries(document.paths ?? {}).flatMap(([path, methods]) =>
      Object.entries(methods ?? {})
        .map(([method, operation]) => ({
          where: `${method} ${path}`,
          method,
          path,
          operation: operation as Operation,
        }))
        .filter(({ operation }) => operation.tags?.includes('candidate pages')),
    )
  }

  it('documents every answer of every page as text/html', () => {
    const found = operations()
    expect(found.map((entry) => entry.where)).toEqual(
      expect.arrayContaining(['get /c/{token}', 'post /c/{token}', 'post /w/{token}', 'post /r/{token}']),
    )
    for (const { where, operation } of found) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const types = Object.keys(response.content ?? {})
        // The download of an access answer is also offered as JSON (?format=json).
        const expected =
          where === 'get /d/{token}' && status === '200' ? ['text/html', 'application/json'] : ['text/html']
        expect(types, `${where} ${status}`).toEqual(expected)
      }
    }
  })

  it('documents the form bodies browsers and mail providers send, not JSON', () => {
    const posts = operations().filter((entry) => entry.method === 'post')
    expect(posts.length).toBeGreaterThanOrEqual(3)
    for (const { where, path, operation } of posts) {
      const types = Object.keys(operation.requestBody?.content ?? {})
      expect(types, where).toContain('application/x-www-form-urlencoded')
      expect(types, where).not.toContain('application/json')
      if (path === '/c/{token}' || path === '/w/{token}')
        expect(types, where).toContain('multipart/form-data')
    }
  })

  it('gives the token the length the router accepts', () => {
    const routerLimit = (t.app.initialConfig as { routerOptions?: { maxParamLength?: number } }).routerOptions
      ?.maxParamLength
    expect(routerLimit).toBe(MAX_PARAM_LENGTH)
    for (const { where, operation } of operations()) {
      const token = operation.parameters?.find((parameter) => parameter.in === 'path')
      expect(token?.schema.maxLength, where).toBe(routerLimit)
    }
  })
})
