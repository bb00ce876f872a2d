import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import nodemailer from 'nodemailer'
import type { Config } from '../config'

/** A header nodemailer must emit exactly as given (its RFC 2047 encoding would break JSON values). */
export interface PreparedHeader {
  prepared: true
  value: string
}

export interface OutgoingMail {
  from: string
  to: string
  subject: string
  text: string
  html: string
  /** Our own Message-ID, so retries of one message carry the same id. */
  messageId: string
  headers: Record<string, string | PreparedHeader>
}

export interface CapturedMail extends Omit<OutgoingMail, 'headers'> {
  headers: Record<string, string>
  at: Date
}

export interface Mailer {
  transport: Config['mailTransport']
  send(mail: OutgoingMail): Promise<{ providerMessageId: string }>
  /** Development only: what the capture transport kept, newest first. */
  captured(): CapturedMail[]
  close(): void
}

/** SMTP replies in the 5xx range will not succeed on retry; everything else (4xx, network) may. */
export function isPermanentMailFailure(error: unknown): boolean {
  const responseCode = (error as { responseCode?: number }).responseCode
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600
}

const CAPTURE_LIMIT = 200

export function createMailer(config: Config): Mailer {
  const captured: CapturedMail[] = []
  let transporter: ReturnType<typeof nodemailer.createTransport>
  if (config.mailTransport === 'capture') {
    // Builds the complete message (so what is captured is what would be sent) and keeps it in memory.
    transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  } else if (config.mailTransport === 'smtp') {
    transporter = nodemailer.createTransport(
      `${config.SMTP_URL}${config.SMTP_URL!.includes('?') ? '&' : '?'}pool=true`,
    )
  } else {
    // SparkPost's SMTP relay: the API key is the password of the user SMTP_Injection.
    const url = new URL(config.SPARKPOST_SMTP_URL)
    transporter = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port || 587),
      secure: url.protocol === 'smtps:',
      requireTLS: url.protocol !== 'smtps:',
      pool: true,
      auth: { user: 'SMTP_Injection', pass: config.SPARKPOST_API_KEY! },
    })
  }
  return {
    transport: config.mailTransport,
    async send(mail) {
      const info = await transporter.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        headers: mail.headers,
      })
      if (config.mailTransport === 'capture') {
        const headers = Object.fromEntries(
          Object.entries(mail.headers).map(([name, value]) => [
            name,
            typeof value === 'string' ? value : value.value,
          ]),
        )
        captured.unshift({ ...mail, headers, at: new Date() })
        captured.length = Math.min(captured.length, CAPTURE_LIMIT)
      }
      return { providerMessageId: String(info.messageId ?? mail.messageId) }
    },
    captured: () => [...captured],
    close: () => transporter.close(),
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer
  }
}

export const mailerPlugin = fp(
  async (app: FastifyInstance, options: { config: Config }) => {
    const mailer = createMailer(options.config)
    app.decorate('mailer', mailer)
    app.addHook('onClose', async () => mailer.close())
  },
  { name: 'mailer' },
)
