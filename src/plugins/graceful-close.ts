import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * Requests in flight when the service is told to stop are answered with `Connection: close`,
 * so their keep-alive sockets end with them and closing does not wait out the keep-alive timeout.
 * Idle sockets are closed by Fastify (forceCloseConnections: 'idle'); new requests get 503.
 */
export const gracefulClosePlugin = fp(
  async (app: FastifyInstance) => {
    let closing = false
    app.addHook('preClose', async () => {
      closing = true
    })
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close')
      done(null, payload)
    })
  },
  { name: 'graceful-close' },
)
