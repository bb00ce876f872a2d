import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app'

let t: TestApp
let port: number

// A request must arrive whole within a second here (30 s by default); silence alone is allowed
// far longer, so only the request timeout can cut these clients.
beforeAll(async () => {
  t = await startTestApp({ env: { REQUEST_TIMEOUT_SECONDS: '1', CONNECTION_TIMEOUT_SECONDS: '120' } })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  port = (t.app.server.address() as AddressInfo).port
})
afterAll(() => t.close())

interface SlowClient {
  /** What the server wrote back. */
  received: () => string
  closed: () => boolean
  destroy: () => void
}

/** Sends the headers of a 100000-byte body, then one byte of it every 100 ms: never idle, never done. */
function slowClient(): SlowClient {
  const socket = connect({ port, host: '127.0.0.1' })
  let received = ''
  let closed = false
  let trickle: NodeJS.Timeout | undefined
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    received += chunk
  })
  socket.on('error', () => {})
  socket.on('close', () => {
    closed = true
    clearInterval(trickle)
  })
  socket.on('connect', () => {
    socket.write(
      'POST /auth/token HTTP/1.1\r\nHost: candor.test\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100000\r\n\r\n{"email":"',
    )
    trickle = setInterval(() => socket.write('a'), 100)
  })
  return {
    received: () => received,
    closed: () => closed,
    destroy: () => socket.destroy(),
  }
}

describe('slow clients', () => {
  it('a body trickled slower than the request timeout is answered 408 and cut; the server stays well', async () => {
    const clients = Array.from({ length: 5 }, slowClient)
    try {
      await vi.waitFor(() => expect(clients.every((client) => client.closed())).toBe(true), {
        timeout: 10_000,
        interval: 50,
      })
    } finally {
      for (const client of clients) client.destroy()
    }
    for (const client of clients) {
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
      expect(client.received()).toContain('Content-Type: application/problem+json')
      expect(client.received()).toContain('"code":"request.timeout"')
    }

    const health = await fetch(`http://127.0.0.1:${port}/health/live`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    // A cut client is the client's doing: nothing is logged as failed or unavailable on our side.
    expect(t.logs.filter((line) => JSON.parse(line).level >= 40)).toEqual([])
  })
})

/** Writes a raw request and collects the whole answer until the server closes the connection. */
function rawExchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(request))
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(received))
  })
}

describe("what Node's parser refuses", () => {
  it('answers headers past the size limit with a 431 problem document', async () => {
    const answer = await rawExchange(
      `GET /health/live HTTP/1.1\r\nHost: candor.test\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
    )
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
    expect(answer).toContain('Content-Type: application/problem+json')
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 431,
      code: 'request.headers_too_large',
    })
  })

  it('answers a request line that is not HTTP with a 400 problem document', async () => {
    const answer = await rawExchange('NOT HTTP AT ALL\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(answer).toContain('"code":"request.invalid"')
  })
})
