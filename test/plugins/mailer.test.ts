import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { createMailer, isPermanentMailFailure, type OutgoingMail } from '../../src/plugins/mailer'
import { SmtpSink } from '../helpers/smtp'

const sink = new SmtpSink()
beforeAll(() => sink.start())
afterAll(() => sink.stop())

const smtpMailer = (url = `smtp://127.0.0.1:${sink.port}`) =>
  createMailer(loadConfig({ MAIL_TRANSPORT: 'smtp', SMTP_URL: url }))

const mail = (to: string): OutgoingMail => ({
  from: 'Candor <candor@candor.test>',
  to,
  subject: 'Who we are and why we write',
  text: 'Plain text',
  html: '<p>HTML</p>',
  messageId: `<${to.replace('@', '.')}@candor.test>`,
  headers: {
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-MSYS-API': { prepared: true, value: '{"metadata":{"candor_message_id":"m-1"}}' },
  },
})

describe('the SMTP mailer (its transport in a thread of its own)', () => {
  it('delivers what it is given, headers as prepared, and answers with our Message-ID', async () => {
    const mailer = smtpMailer()
    try {
      const sent = await Promise.all(['a@thread.test', 'b@thread.test'].map((to) => mailer.send(mail(to))))
      expect(sent.map((result) => result.providerMessageId)).toEqual([
        '<a.thread.test@candor.test>',
        '<b.thread.test@candor.test>',
      ])
      const received = sink.received.find((item) => item.to.includes('a@thread.test'))!
      // Built whole before it is sent (one write): the envelope, both parts and the id intact.
      expect(received.to).toEqual(['a@thread.test'])
      expect(received.parsed.subject).toBe('Who we are and why we write')
      expect(received.parsed.messageId).toBe('<a.thread.test@candor.test>')
      expect(received.parsed.text?.trim()).toBe('Plain text')
      expect(received.parsed.html).toContain('<p>HTML</p>')
      // Header names are case-insensitive (nodemailer writes X-Msys-Api); the JSON must arrive unencoded.
      expect(received.raw).toMatch(/^x-msys-api: \{"metadata":\{"candor_message_id":"m-1"\}\}\r?$/im)
      expect(received.raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click')
    } finally {
      await mailer.close()
    }
  })

  it("passes on the reply code of a refusal, but not the server's words, which can name the recipient", async () => {
    const mailer = smtpMailer()
    sink.failNext(1, 550, 'no mailbox for refused@thread.test')
    try {
      const error = await mailer.send(mail('refused@thread.test')).then(
        () => undefined,
        (failure: unknown) => failure as Error,
      )
      expect(error).toBeInstanceOf(Error)
      expect(isPermanentMailFailure(error)).toBe(true)
      expect(error!.message).not.toContain('refused@thread.test')
    } finally {
      await mailer.close()
    }
  })

  it('refuses a mail that is not plain data at once, and sends the next one', async () => {
    const mailer = smtpMailer()
    try {
      const odd = { ...mail('odd@thread.test'), headers: { 'X-Odd': (() => 'no') as unknown as string } }
      await expect(mailer.send(odd)).rejects.toThrow()
      expect((await mailer.send(mail('next@thread.test'))).providerMessageId).toBe(
        '<next.thread.test@candor.test>',
      )
    } finally {
      await mailer.close()
    }
  })

  it('closing lets a send in flight finish and answer: an accepted mail is never reported as failed', async () => {
    const mailer = smtpMailer()
    await mailer.send(mail('opening@thread.test'))
    // Close right behind a send: the thread has the mail, the pool has not taken it yet.
    const sending = mailer.send(mail('closing@thread.test'))
    await mailer.close()
    expect((await sending).providerMessageId).toBe('<closing.thread.test@candor.test>')
    expect(sink.received.some((item) => item.to.includes('closing@thread.test'))).toBe(true)
  })

  it('reports a server it cannot reach as a failure worth retrying', async () => {
    // Port 9 (discard) has no listener here: the connection is refused.
    const mailer = smtpMailer('smtp://127.0.0.1:9')
    try {
      const error = (await mailer.send(mail('later@thread.test')).catch((failure: unknown) => failure)) as {
        code?: string
      }
      expect(error.code).toBe('ESOCKET')
      expect(isPermanentMailFailure(error)).toBe(false)
    } finally {
      await mailer.close()
    }
  })
})
