import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** 256 random bits, URL-safe: the capability in a consent, withdraw or self-service link. */
export function newLinkToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Only this is stored: a database leak does not hand out working links. */
export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Shape check before any lookup: anything else is answered like an unknown link, without a query. */
export function isWellFormedLinkToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}

/** How long a rendered form may be answered: long enough to read a consent text, short for a copied form. */
export const FORM_TOKEN_TTL_MS = 60 * 60 * 1000
/** Processes behind one load balancer may disagree on the time by this much. */
const FORM_TOKEN_SKEW_MS = 5 * 60 * 1000

const formMac = (secret: string, token: string, action: string, nonce: string, issuedAt: string) =>
  createHmac('sha256', secret)
    .update(`candor-form:v1\n${action}\n${hashLinkToken(token)}\n${nonce}\n${issuedAt}`)
    .digest('base64url')

/**
 * The form token of one rendering of a page: `<issued-at ms>.<nonce>.<HMAC>`, binding the link,
 * the action, the rendering and its time, so a POST must come from a page we served within the
 * hour (OWASP CSRF: HMAC-based token pattern). Stateless; a replay is a no-op because every
 * POST it guards only moves its link's state forward once (docs/decisions/0008).
 */
export function issueFormToken(secret: string, token: string, action: string, now: Date): string {
  const issuedAt = String(now.getTime())
  const nonce = randomBytes(16).toString('base64url')
  return `${issuedAt}.${nonce}.${formMac(secret, token, action, nonce, issuedAt)}`
}

export type FormTokenCheck = 'valid' | 'expired' | 'invalid'

export function checkFormToken(
  secret: string,
  token: string,
  action: string,
  presented: unknown,
  now: Date,
): FormTokenCheck {
  if (typeof presented !== 'string') return 'invalid'
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(presented)
  if (!match) return 'invalid'
  const [, issuedAt = '', nonce = '', mac = ''] = match
  const expected = Buffer.from(formMac(secret, token, action, nonce, issuedAt))
  if (!timingSafeEqual(expected, Buffer.from(mac))) return 'invalid'
  const age = now.getTime() - Number(issuedAt)
  return age > FORM_TOKEN_TTL_MS || age < -FORM_TOKEN_SKEW_MS ? 'expired' : 'valid'
}

/**
 * The links of one mail are derived from its message id with the server key, so a retry sends
 * the same working links without the links ever being stored (only their hashes are).
 */
export function derivedLinkToken(secret: string, messageId: string, action: string): string {
  return createHmac('sha256', secret).update(`mail-link:${messageId}:${action}`).digest('base64url')
}
