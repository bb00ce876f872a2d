import { Worker } from 'node:worker_threads'
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
  close(): Promise<void>
}

/** SMTP replies in the 5xx range will not succeed on retry; everything else (4xx, network) may. */
export function isPermanentMailFailure(error: unknown): boolean {
  const responseCode = (error as { responseCode?: number }).responseCode
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600
}

const CAPTURE_LIMIT = 200

/** What a send needs of a mail transport: a pooled SMTP transport, or the capture one. */
interface Transport {
  send(mail: OutgoingMail): Promise<string>
  close(): Promise<void>
}

/** nodemailer's options for a transport that talks to a mail server (anything but capture). */
function serverTransportOptions(config: Config): string | Record<string, unknown> {
  if (config.mailTransport === 'smtp') {
    return `${config.SMTP_URL}${config.SMTP_URL!.includes('?') ? '&' : '?'}pool=true`
  }
  // SparkPost's SMTP relay: the API key is the password of the user SMTP_Injection.
  const url = new URL(config.SPARKPOST_SMTP_URL)
  return {
    host: url.hostname,
    port: Number(url.port || 587),
    secure: url.protocol === 'smtps:',
    requireTLS: url.protocol !== 'smtps:',
    pool: true,
    auth: { user: 'SMTP_Injection', pass: config.SPARKPOST_API_KEY! },
  }
}

/** How the mail thread answers a send: nodemailer's message id, or what its failure was. */
type ThreadReply =
  | { id: number; messageId: string }
  | { id: number; failure: { code?: string; responseCode?: number; command?: string } }

/** A failure as the outreach worker reads it (`code`, `responseCode`): never the server's words. */
class MailSendError extends Error {
  readonly code: string | undefined
  readonly responseCode: number | undefined

  constructor(failure: { code?: string | undefined; responseCode?: number | undefined; command?: string }) {
    super(
      `the mail transport failed (${[failure.command, failure.code, failure.responseCode].filter(Boolean).join(' ')})`,
    )
    this.code = failure.code
    this.responseCode = failure.responseCode
  }
}

/**
 * The pooled transport in a thread of its own (./mail-thread.mjs). Building a MIME message costs
 * more CPU than the rest of a mail's way through Candor, and SMTP waits for every reply: on the
 * event loop that also serves the API and the queue, each of those replies waits its turn behind
 * that work. In a thread of its own the conversation runs at the mail server's pace, on another
 * core. A thread that dies fails the sends it had (as transient failures: BullMQ retries them)
 * and the next send starts a new one.
 */
function threadTransport(options: string | Record<string, unknown>): Transport {
  let thread: Worker | undefined
  const pending = new Map<number, { resolve(messageId: string): void; reject(error: Error): void }>()
  let nextId = 0
  const failAll = (reason: string) => {
    for (const { reject } of pending.values()) reject(new MailSendError({ code: reason }))
    pending.clear()
  }
  const start = () => {
    const started = new Worker(new URL('./mail-thread.mjs', import.meta.url), {
      workerData: { transport: options },
    })
    // Idle, the thread keeps no process alive; a send in flight does (see `send`).
    started.unref()
    started.on('message', (reply: ThreadReply) => {
      const waiting = pending.get(reply.id)
      pending.delete(reply.id)
      if (pending.size === 0) started.unref()
      if ('failure' in reply) waiting?.reject(new MailSendError(reply.failure))
      else waiting?.resolve(reply.messageId)
    })
    // A thread that fails (it could not load, nodemailer threw) exits: `exit` fails its sends, and
    // their jobs' failures say ETHREAD in the worker's log.
    started.on('error', () => undefined)
    started.on('exit', () => {
      if (thread === started) thread = undefined
      failAll('ETHREAD')
    })
    return started
  }
  return {
    send(mail) {
      thread ??= start()
      const id = nextId++
      const running = thread
      return new Promise<string>((resolve, reject) => {
        try {
          running.postMessage({ type: 'send', id, mail })
        } catch (error) {
          // A mail that cannot be passed on (not plain data) never reaches the thread.
          return reject(error)
        }
        pending.set(id, { resolve, reject })
        running.ref()
      })
    },
    async close() {
      const running = thread
      thread = undefined
      if (!running) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.postMessage({ type: 'close' })
      // The thread lets sends in flight finish and answer, then exits; one that hangs is ended after 10 s.
      const timer = setTimeout(() => void running.terminate(), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Development: builds the complete message (so what is kept is what would be sent), sends nothing. */
function captureTransport(captured: CapturedMail[]): Transport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return {
    async send(mail) {
      const info = await transporter.sendMail(mail)
      const headers = Object.fromEntries(
        Object.entries(mail.headers).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : value.value,
        ]),
      )
      captured.unshift({ ...mail, headers, at: new Date() })
      captured.length = Math.min(captured.length, CAPTURE_LIMIT)
      return String(info.messageId ?? '')
    },
    close: async () => transporter.close(),
  }
}

export function createMailer(config: Config): Mailer {
  const captured: CapturedMail[] = []
  const transport =
    config.mailTransport === 'capture'
      ? captureTransport(captured)
      : threadTransport(serverTransportOptions(config))
  return {
    transport: config.mailTransport,
    async send(mail) {
      return { providerMessageId: (await transport.send(mail)) || mail.messageId }
    },
    captured: () => [...captured],
    close: () => transport.close(),
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
