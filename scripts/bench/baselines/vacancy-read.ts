/**
 * Baseline: the least code that does the same work as GET /vacancies/:id — bare Fastify,
 * the same JWT check (fast-jwt, same options) and the same SQL through postgres.js.
 */
import { createVerifier } from 'fast-jwt'
import Fastify from 'fastify'
import { bind, rawPostgres, vacancyDetailStatement } from '../sql'

const sql = rawPostgres(process.env.DATABASE_URL!, { max: 10 })
const verify = createVerifier({
  key: process.env.JWT_SECRET!,
  algorithms: ['HS256'],
  allowedIss: 'candor',
  allowedAud: 'candor-api',
  requiredClaims: ['exp', 'iat', 'iss', 'aud', 'sub'],
  cache: 1000,
})
const statement = await vacancyDetailStatement()

const app = Fastify()
app.get('/health/live', async () => ({ status: 'ok' }))
app.get<{ Params: { id: string } }>('/vacancies/:id', async (request, reply) => {
  try {
    verify((request.headers.authorization ?? '').replace(/^Bearer /, ''))
  } catch {
    return reply.code(401).send({ error: 'unauthenticated' })
  }
  const [row] = await sql.unsafe(statement.text, bind(statement, request.params.id), { prepare: true })
  if (!row) return reply.code(404).send({ error: 'not found' })
  return row
})
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
process.on('SIGTERM', () =>
  app
    .close()
    .then(() => sql.end())
    .then(() => process.exit(0)),
)
