/** A local SMTP server that accepts and counts mail: the same sink for Candor and the baseline. */
import { SMTPServer } from 'smtp-server'

export interface Sink {
  url: string
  count(): number
  stop(): Promise<void>
}

export async function startSink(): Promise<Sink> {
  let received = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {})
      stream.on('end', () => {
        received++
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.server.address() as { port: number }
  return {
    url: `smtp://127.0.0.1:${port}`,
    count: () => received,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
