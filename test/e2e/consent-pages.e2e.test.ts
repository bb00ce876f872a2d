import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app'
import { ARTIFACTS, launchBrowser } from '../helpers/browser'
import { freePort } from '../helpers/process'
import { json, requestConsent, type SeededVacancy, seedOpenVacancy, sourcingPayload } from '../helpers/seed'

let t: TestApp
let vacancy: SeededVacancy
let browser: Browser

beforeAll(async () => {
  const port = await freePort()
  t = await startTestApp({ env: { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } })
  t.clock.set('2026-02-10T09:00:00Z')
  await t.app.listen({ port, host: '127.0.0.1' })
  vacancy = await seedOpenVacancy(t, { clientName: 'Rijwielhandel Zuid B.V.' })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await t?.close()
})

describe('a candidate in a real browser', () => {
  it('opens the consent link, consents, then opens the withdraw link and withdraws; the ledger shows both', async () => {
    const candidacy = json<{ id: string }>(
      await t.request({
        method: 'POST',
        url: `/vacancies/${vacancy.id}/candidacies`,
        as: vacancy.recruiter,
        payload: sourcingPayload(),
      }),
      201,
    )
    const links = await requestConsent(t, candidacy.id, vacancy.recruiter)
    const page = await browser.newPage({ javaScriptEnabled: false })

    await page.goto(links.consentUrl)
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(
      'Your consent for one vacancy',
    )
    await expect(page.locator('#consent-text').textContent()).resolves.toContain('Rijwielhandel Zuid B.V.')
    await page.screenshot({ path: `${ARTIFACTS}/consent-page.png`, fullPage: true })
    await page.getByRole('button', { name: 'I consent' }).click()
    await expect(page.getByRole('status').textContent()).resolves.toContain('your consent is recorded')

    await page.goto(links.withdrawUrl)
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(
      'Withdraw your consent',
    )
    await page.screenshot({ path: `${ARTIFACTS}/withdraw-page.png`, fullPage: true })
    await page.getByRole('button', { name: 'Withdraw my consent' }).click()
    await expect(page.getByRole('status').textContent()).resolves.toContain('Done: you withdrew')
    await page.screenshot({ path: `${ARTIFACTS}/withdrawn.png`, fullPage: true })

    const events = json<Array<{ type: string; actorType: string }>>(
      await t.request({ method: 'GET', url: `/candidacies/${candidacy.id}/ledger`, as: vacancy.dpo }),
      200,
    )
    expect(events.map((event) => `${event.type}/${event.actorType}`)).toEqual([
      'basis_asserted/user',
      'consent_requested/user',
      'consent_given/data_subject',
      'consent_withdrawn/data_subject',
    ])
    await page.close()
  })
})
