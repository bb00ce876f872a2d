import { once } from 'node:events'
import net from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { coalescingSocket } from '../../src/db/socket'

// The socket under postgres.js: an early (1 KB or more) write waits for the same turn's deferred
// writes, and all of them leave as one writev, in order.
describe('the PostgreSQL socket', () => {
  let server: net.Server
  let received: Buffer
  let socket: net.Socket
  beforeEach(async () => {
    received = Buffer.alloc(0)
    server = net.createServer((peer) =>
      peer.on('data', (data) => (received = Buffer.concat([received, data]))),
    )
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as net.AddressInfo
    socket = coalescingSocket({ host: ['127.0.0.1'], port: [port] })
    await once(socket, 'connect')
  })
  afterEach(async () => {
    socket.destroy()
    server.close()
    await once(server, 'close')
  })

  const turn = () => new Promise((done) => setImmediate(() => setImmediate(done)))
  const arrived = async (length: number) => {
    while (received.length < length) await new Promise((done) => setImmediate(done))
  }

  it('sends an early write with the writes deferred in the same turn, as one writev', async () => {
    const writev = vi.spyOn(socket as unknown as { _writev: () => void }, '_writev')
    const write = vi.spyOn(socket as unknown as { _write: () => void }, '_write')
    const early = Buffer.alloc(2048, 'a')
    // As postgres.js does: a big gathering at once from a promise job, the rest on setImmediate.
    await Promise.resolve().then(() => {
      socket.write(early)
      setImmediate(() => socket.write('tail'))
    })
    expect(socket.writableCorked).toBe(1)
    await turn()
    expect(socket.writableCorked).toBe(0)
    expect(writev).toHaveBeenCalledTimes(1)
    expect(write).not.toHaveBeenCalled()
    await arrived(early.length + 4)
    expect(received.toString()).toBe(`${early.toString()}tail`)
  })

  // postgres.js takes `false` for a full connection and then sends one statement a round trip.
  it('does not say "full" while a turn holds more than Node’s default 16 KB', async () => {
    const chunk = Buffer.alloc(9000, 'b')
    const accepted = await Promise.resolve().then(() => [1, 2, 3, 4].map(() => socket.write(chunk)))
    expect(socket.writableCorked).toBe(1)
    expect(socket.writableLength).toBeGreaterThan(16 * 1024)
    expect(accepted).toEqual([true, true, true, true])
    await arrived(4 * chunk.length)
  })

  it('lets small writes through at once', async () => {
    const write = vi.spyOn(socket as unknown as { _write: () => void }, '_write')
    socket.write('small')
    expect(socket.writableCorked).toBe(0)
    expect(write).toHaveBeenCalledTimes(1)
    await arrived(5)
    expect(received.toString()).toBe('small')
  })
})
