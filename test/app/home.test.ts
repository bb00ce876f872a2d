import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('GET /', () => {
  it('answers a small public HTML page that says what Candor is and links to the API reference', async () => {
    const response = await t.request({ method: 'GET', url: '/' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    const html = response.body
    expect(html).toContain('<html lang="en">')
    expect(html).toContain('name="viewport"')
    expect(html.match(/<h1[\s>]/g)).toHaveLength(1)
    expect(html).toContain('<main>')
    expect(html).toContain('GDPR')
    expect(html).toContain('href="/docs"')
    expect(html).toContain('href="/health/ready"')
    expect(html).toContain('href="/?lang=nl"')
  })

  it('speaks Dutch with ?lang=nl', async () => {
    const response = await t.request({ method: 'GET', url: '/?lang=nl' })
    expect(response.statusCode).toBe(200)
    expect(response.body).toContain('<html lang="nl">')
    expect(response.body).toContain('AVG')
    expect(response.body).toContain('href="/docs"')
  })
})

describe('the API reference', () => {
  it('gives Swagger UI a viewport for phones, from a theme file its page loads', async () => {
    const page = await t.request({ method: 'GET', url: '/docs/' })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('static/theme/viewport.js')
    const script = await t.request({ method: 'GET', url: '/docs/static/theme/viewport.js' })
    expect(script.statusCode).toBe(200)
    expect(script.body).toContain('width=device-width, initial-scale=1')
  })

  it('shows a realistic instant as the example of every date-time field, not one made up from the pattern', async () => {
    const document = (await t.request({ method: 'GET', url: '/docs/json' })).json()
    const dateTimes: Array<{ path: string; example: unknown }> = []
    const walk = (node: unknown, path: string, parameterExample?: unknown) => {
      if (Array.isArray(node)) {
        for (const [index, child] of node.entries()) walk(child, `${path}/${index}`)
      } else if (node && typeof node === 'object') {
        const record = node as Record<string, unknown>
        if (record.format === 'date-time')
          dateTimes.push({
            path,
            example: (record.examples as unknown[] | undefined)?.[0] ?? parameterExample,
          })
        for (const [key, child] of Object.entries(record))
          walk(child, `${path}/${key}`, key === 'schema' ? record.example : undefined)
      }
    }
    walk(document, '')
    expect(dateTimes.length).toBeGreaterThan(20)
    for (const { path, example } of dateTimes) expect(example, path).toMatch(/^20\d\d-\d\d-\d\dT/)
  })
})
