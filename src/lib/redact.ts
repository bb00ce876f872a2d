/**
 * What may reach a log line. Personal data (names, e-mail addresses) and secrets
 * (tokens, passwords) never do: logs are kept longer and read by more people than the data.
 */
const EMAIL = /[^\s@/?#&=<>"']+@[^\s@/?#&=<>"']+\.[^\s@/?#&=<>"']+/g
// Link tokens are 43 base64url characters; anything that long in a path is treated as a secret.
const LONG_SEGMENT = /\/[A-Za-z0-9_-]{32,}(?=\/|$)/g
// Record ids are UUIDs: not secret, and what an operator needs to follow a request.
const UUID = /^\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function redactText(text: string): string {
  return text.replace(EMAIL, '[email]')
}

/** A URL fit for a log: no query string (it can carry anything), no token or address in the path. */
export function redactUrl(url: string): string {
  const path = url.split('?')[0] ?? ''
  return redactText(decodeSafely(path)).replace(LONG_SEGMENT, (segment) =>
    UUID.test(segment) ? segment : '/[token]',
  )
}

function decodeSafely(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

/** Paths pino censors wherever they appear in a logged object. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.email',
  '*.emails',
  '*.name',
  '*.phone',
]
