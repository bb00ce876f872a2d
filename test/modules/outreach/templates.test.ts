import nodemailer from 'nodemailer'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config'
import { createTemplates } from '../../../src/lib/templates'
import type { CandidacyContext } from '../../../src/modules/candidacies/candidacies.repository'
import { mailTemplates } from '../../../src/modules/messages/mail-templates'
import type { MessageRow } from '../../../src/modules/messages/messages.service'
import { outgoingMail } from '../../../src/modules/outreach/mail-links'
import {
  fillLinks,
  linkPlaceholder,
  mailContext,
  renderMail,
} from '../../../src/modules/outreach/outreach.render'
import type { OutreachDeps } from '../../../src/modules/outreach/outreach.service'

const templates = createTemplates()
const config = loadConfig({ JURISDICTION: 'NL' })
const links = {
  consent: 'https://candor.example/c/CONSENT-TOKEN',
  withdraw: 'https://candor.example/w/WITHDRAW-TOKEN',
  self_service: 'https://candor.example/r/SELF-SERVICE-TOKEN',
  download: 'https://candor.example/d/DOWNLOAD-TOKEN',
}

function render(
  template: (typeof mailTemplates)[number],
  language: 'nl' | 'en',
  legalBasis: 'legitimate_interest' | 'consent',
) {
  return renderMail(
    templates,
    template,
    language,
    mailContext(config, language, {
      person: { fullName: 'Ada <Lovelace>' },
      client: { name: 'Fiets & <Zoon> B.V.', country: 'NL' },
      vacancy: {
        title: 'Backend "engineer"',
        purpose: 'Recruiting for one role <only>.',
        legalBasis,
        retentionDays: 28,
      },
      sourceType: 'github',
      factKinds: ['skill', 'experience'],
      links,
      consentExpiresAt: new Date('2026-03-12T09:00:00Z'),
      request: {
        type: 'access',
        receivedAt: new Date('2026-01-31T10:00:00Z'),
        dueAt: new Date('2026-03-02T22:59:59Z'),
        extendedDueAt: new Date('2026-04-30T21:59:59Z'),
        reason: 'The request covers many vacancies.',
        outcome: 'Your data is attached.',
      },
    }),
  )
}

describe('mail templates', () => {
  for (const template of mailTemplates.filter(
    (name) => name !== 'dpo_deadline_reminder' && name !== 'talent_pool_renewal',
  )) {
    for (const language of ['nl', 'en'] as const) {
      it(`${template} in ${language}: names the client, carries the withdraw and see-or-delete links, escapes HTML`, () => {
        for (const legalBasis of ['legitimate_interest', 'consent'] as const) {
          const mail = render(template, language, legalBasis)
          expect(mail.subject.length).toBeGreaterThan(5)
          expect(mail.subject).not.toContain('\n')
          for (const body of [mail.text, mail.html]) {
            expect(body).toContain(links.withdraw)
            expect(body).toContain(links.self_service)
            expect(body).not.toContain('undefined')
          }
          expect(mail.text).toContain('Fiets & <Zoon> B.V.')
          expect(mail.html).toContain('Fiets &amp; &lt;Zoon&gt; B.V.')
          expect(mail.html).not.toContain('<Zoon>')
          expect(mail.html).not.toContain('<Lovelace>')
          expect(mail.html).toMatch(new RegExp(`<html lang="${language}"`))
          if (template === 'consent_request' || template === 'consent_reminder') {
            expect(mail.text).toContain(links.consent)
            expect(mail.html).toContain(links.consent)
          } else {
            expect(mail.text).not.toContain(links.consent)
          }
          if (template === 'request_completed') expect(mail.text).toContain(links.download)
        }
      })
    }
  }

  it('the Art. 14 mails state the right to object apart from the rest (Art. 21(4)) and name the supervisory authority', () => {
    for (const template of ['consent_request', 'art14_notice'] as const) {
      const english = render(template, 'en', 'legitimate_interest')
      expect(english.text).toMatch(/right to object/i)
      expect(english.text).toContain('Autoriteit Persoonsgegevens')
      expect(english.text).toContain('GitHub')
      const dutch = render(template, 'nl', 'legitimate_interest')
      expect(dutch.text).toMatch(/bezwaar/i)
    }
  })
})

describe('mail about a request', () => {
  it.each(['request_received', 'request_extended', 'request_completed'] as const)(
    '%s reads well for an address we hold nothing on: no vacancy, no withdraw link, a generic greeting',
    (template) => {
      for (const language of ['nl', 'en'] as const) {
        const mail = renderMail(
          templates,
          template,
          language,
          mailContext(config, language, {
            person: null,
            links: {},
            request: {
              type: 'access',
              receivedAt: new Date('2026-01-31T10:00:00Z'),
              dueAt: new Date('2026-03-02T22:59:59Z'),
              extendedDueAt: new Date('2026-04-30T21:59:59Z'),
              reason: 'Many requests.',
              outcome: 'We hold no data about you.',
            },
          }),
        )
        expect(mail.text).not.toContain('undefined')
        expect(mail.html).not.toContain('undefined')
        expect(mail.text).toContain(language === 'nl' ? 'heer, mevrouw' : 'Madam, Sir')
      }
    },
  )
})

describe('mail links and headers', () => {
  it('stored bodies carry placeholders that become the real links when sent', () => {
    const stored = `Consent: https://x/c/${linkPlaceholder('consent')} stop: https://x/w/${linkPlaceholder('withdraw')}`
    expect(fillLinks(stored, { consent: 'AAA', withdraw: 'BBB' })).toBe(
      'Consent: https://x/c/AAA stop: https://x/w/BBB',
    )
  })

  it('through SparkPost a mail carries our ids as metadata, the vacancy as campaign, and our own one-click unsubscribe', async () => {
    const sparkpost = loadConfig({
      JURISDICTION: 'NL',
      MAIL_TRANSPORT: 'sparkpost',
      SPARKPOST_API_KEY: 'test-key',
      SERVER_SECRET: 'a'.repeat(64),
      PUBLIC_BASE_URL: 'https://candor.example',
      MAIL_UNSUBSCRIBE_MAILTO: 'unsubscribe@candor.example',
      TRACKING_OPENS_CLICKS: 'false',
    })
    const message = {
      id: '0b6f7c3e-2f1a-4c61-9d3e-8a1f2b3c4d5e',
      toAddress: 'ada@example.org',
      subject: 'About the role "backend engineer"',
      bodyText: `Stop: https://candor.example/w/${linkPlaceholder('withdraw')}`,
      bodyHtml: `<a href="https://candor.example/w/${linkPlaceholder('withdraw')}">Stop</a>`,
      messageIdHeader: '<0b6f7c3e-2f1a-4c61-9d3e-8a1f2b3c4d5e@candor.example>',
    } as MessageRow
    const context = {
      candidacy: { id: 'c7d1e2f3-0000-4000-8000-000000000001' },
      vacancy: { id: 'v7d1e2f3-0000-4000-8000-000000000002' },
    } as CandidacyContext
    const mail = outgoingMail({ config: sparkpost } as OutreachDeps, message, context)
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true })
    const info = await transport.sendMail({ ...mail })
    // The header block, unfolded (RFC 5322: a line break before white space is not content).
    const headers = (info.message as Buffer)
      .toString()
      .split(/\r?\n\r?\n/)[0]!
      .replace(/\r?\n(?=[ \t])/g, '')
    const header = (name: string) =>
      headers
        .split(/\r?\n/)
        .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}: `))
        ?.slice(name.length + 2)
    expect(JSON.parse(header('X-MSYS-API')!)).toEqual({
      campaign_id: context.vacancy.id,
      metadata: { candor_message_id: message.id, candor_candidacy_id: context.candidacy.id },
      // Transactional: SparkPost then adds no List-Unsubscribe of its own; ours is the one.
      options: { transactional: true, open_tracking: false, click_tracking: false },
    })
    const withdrawUrl = mail.text.slice('Stop: '.length)
    expect(withdrawUrl).toMatch(/^https:\/\/candor\.example\/w\/[A-Za-z0-9_-]{43}$/)
    expect(header('List-Unsubscribe')).toBe(
      `<${withdrawUrl}>, <mailto:unsubscribe@candor.example?subject=unsubscribe>`,
    )
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click')
    expect(header('Message-ID')).toBe(message.messageIdHeader)
  })

  it('nodemailer sends X-MSYS-API as prepared JSON, not RFC 2047-encoded', async () => {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true })
    const value = JSON.stringify({ metadata: { candor_message_id: 'm-1' }, options: { transactional: true } })
    const info = await transport.sendMail({
      from: 'a@example.org',
      to: 'b@example.org',
      subject: 'x',
      text: 'x',
      headers: { 'X-MSYS-API': { prepared: true, value } },
    })
    const raw = (info.message as Buffer).toString()
    // Header names are case-insensitive; the value must be the JSON exactly.
    const line = raw.split(/\r?\n/).find((header) => header.toLowerCase().startsWith('x-msys-api:'))
    expect(line?.slice('x-msys-api: '.length)).toBe(value)
  })
})
