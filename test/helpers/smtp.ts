import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  to: string[]
  parsed: ParsedMail
  raw: string
}

/**
 * A real SMTP server for a test file: it receives over TCP what the worker sends, so tests see
 * the mail a candidate would get. `failNext` makes it answer with an error code for a while.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = []
  private server: SMTPServer | undefined
  private failures: Array<{ code: number; message: string }> = []
  port = 0

  async start(port = 0): Promise<number> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('end', async () => {
          const failure = this.failures.shift()
          if (failure) {
            const error = new Error(failure.message) as Error & { responseCode: number }
            error.responseCode = failure.code
            return callback(error)
          }
          const raw = Buffer.concat(chunks).toString('utf8')
          this.received.push({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            parsed: await simpleParser(raw),
            raw,
          })
          callback()
        })
      },
    })
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(port, '127.0.0.1', () => resolve())
    })
    this.port = (this.server.server.address() as { port: number }).port
    return this.port
  }

  /** The next `count` messages get this SMTP reply instead of being accepted. */
  failNext(count: number, code = 451, message = 'try again later'): void {
    for (let i = 0; i < count; i++) this.failures.push({ code, message })
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`
  }
}
