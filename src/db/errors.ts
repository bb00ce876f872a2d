/**
 * Errors that say PostgreSQL could not serve the work now, not that the work was wrong: the
 * request answers 503 and may be tried again; a job is retried by its queue.
 */
const unavailable = new Set([
  // postgres.js: no free connection in time, a query past its backstop, a connection lost or not made.
  'QUEUE_TIMEOUT',
  'QUERY_TIMEOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CANCEL_UNANSWERED',
  // Node.js: nothing listens, or the network dropped the connection.
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: shutting down or starting up, out of connections, statement or lock timeout,
  // an idle transaction ended, a deadlock or a serialization failure (the work may be retried).
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
  '55P03',
  '25P03',
  '40P01',
  '40001',
])

/**
 * The code of the first error in the chain that says the database was unavailable. drizzle wraps
 * the driver's error ("Failed query: …", with the parameters) in its own: the code is on a cause.
 */
export function databaseErrorCode(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code
    // SQLSTATE class 08: connection exceptions.
    if (typeof code === 'string' && (unavailable.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return code
    cause = (cause as { cause?: unknown }).cause
  }
  return undefined
}

export const isDatabaseUnavailable = (error: unknown): boolean => databaseErrorCode(error) !== undefined

/** Whether PostgreSQL refused the work on the named constraint (or trigger raising it). */
export function violatesConstraint(error: unknown, constraint: string): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    if ((cause as { constraint_name?: unknown }).constraint_name === constraint) return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

/** Whether PostgreSQL refused the work on a unique key (23505): someone else stored the same thing first. */
export function isUniqueViolation(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    if ((cause as { code?: unknown }).code === '23505') return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}
