import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { type Browser, chromium, type Page } from 'playwright-core'

/** Debian's Chromium (apt-get install chromium); `npm test` installs it when missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const ARTIFACTS = 'test-artifacts/e2e'

/** The widths every page is seen at: a desktop and a phone (390 px, an iPhone 12–15). */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true })
  // This machine has no outside network: no background services, no first-run, no GPU.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: number
}

/**
 * axe-core's WCAG 2.x A/AA rules (and its best practices) on the page as it is now. The script is
 * evaluated through the DevTools protocol, so the page's own content security policy (no scripts)
 * stays as it is and the page is checked as candidates see it.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource)
  // Expressions as strings: the test code has no DOM types, the page does.
  const options = JSON.stringify({
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  })
  const result = await page.evaluate(`axe.run(document, ${options})`)
  const violations = (
    result as { violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }> }
  ).violations
  return violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.length,
  }))
}

/** True when the page scrolls sideways at its viewport (it should fit a phone). */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth')
}
