import net from 'node:net'

/** What postgres.js hands its `socket` option: the parsed connection options. */
export interface SocketTarget {
  host: string[]
  port: number[]
  path?: string | false
}

/** postgres.js writes a chunk of this size at once; smaller ones wait for the next check phase. */
const EARLY_WRITE_BYTES = 1024
/**
 * What the socket may hold before its `write` says "full". postgres.js takes that answer as a
 * full connection and sends every statement queued behind it alone, one round trip each, until
 * the queue is empty: writes held for one turn (below) must stay under it. At Node's default
 * (16 KB) two mails' bodies were enough, and a shared transaction's tail went out a statement a
 * round trip. A socket whose server stops reading still says so, past this.
 */
const HELD_WRITES_BYTES = 8 * 1024 * 1024

/**
 * The socket postgres.js gets (its `socket` option), returned at once and still connecting:
 * net.Socket holds writes until it is connected, and postgres.js's own handling of errors,
 * closes and its connect timeout applies as to a socket of its own (a connection that failed to
 * connect is retried, not lost to the pool). One host, or a Unix socket directory, as in our URLs.
 *
 * postgres.js gathers a turn's statements and writes them on the next `setImmediate`, except
 * that a gathering of 1 KB or more leaves at once: a transaction's tail of five inserts and its
 * COMMIT then costs two writes, and on loopback a write costs more CPU than a statement. Such an
 * early write is held back (corked) until the check phase of the same turn, after postgres.js's
 * own deferred write, so the two leave as one `writev`. Bytes keep their order (cork only
 * buffers); nothing waits longer than the turn it was written in.
 */
export function coalescingSocket(target: SocketTarget): net.Socket {
  // net.Socket hands its options to stream.Duplex; @types/node's NetConnectOpts leaves this one out.
  const held = { writableHighWaterMark: HELD_WRITES_BYTES }
  const socket = target.path
    ? net.connect({ path: target.path, ...held })
    : net.connect({ port: target.port[0] ?? 5432, host: target.host[0] ?? 'localhost', ...held })
  return coalesceWrites(socket)
}

/** Holds a write of `EARLY_WRITE_BYTES` or more until this turn's deferred writes have joined it. */
function coalesceWrites(socket: net.Socket): net.Socket {
  const write = socket.write
  let holding = false
  socket.write = function (this: net.Socket, chunk: Uint8Array | string, ...rest: unknown[]) {
    if (!holding && chunk.length >= EARLY_WRITE_BYTES) {
      holding = true
      socket.cork()
      // After every promise job of this turn (they may defer more writes), then after the
      // deferred writes that were scheduled meanwhile: setImmediate runs callbacks in order.
      process.nextTick(() =>
        setImmediate(() => {
          holding = false
          socket.uncork()
        }),
      )
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof socket.write
  return socket
}
