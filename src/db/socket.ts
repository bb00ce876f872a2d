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
  const socket = target.path
    ? net.connect(target.path)
    : net.connect(target.port[0] ?? 5432, target.host[0] ?? 'localhost')
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
