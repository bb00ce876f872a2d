/** Baseline: bare Fastify hello-world, the framework's ceiling on this machine. */
import Fastify from 'fastify'

const app = Fastify()
app.get('/health/live', async () => ({ hello: 'world' }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
