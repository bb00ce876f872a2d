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

/**
 * The form token of a page: an HMAC of the link and the action, so a POST must come from the
 * page we served (a cross-site form cannot compute it without the server key).
 */
export function formToken(secret: string, token: string, action: string): string {
  return createHmac('sha256', secret).update(`${action}:${token}`).digest('base64url')
}

export function formTokenMatches(
  secret: string,
  token: string,
  action: string,
  presented: string | undefined,
): boolean {
  if (!presented) return false
  const expected = Buffer.from(formToken(secret, token, action))
  const actual = Buffer.from(presented)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/**
 * The links of one mail are derived from its message id with the server key, so a retry sends
 * the same working links without the links ever being stored (only their hashes are).
 */
export function derivedLinkToken(secret: string, messageId: string, action: string): string {
  return createHmac('sha256', secret).update(`mail-link:${messageId}:${action}`).digest('base64url')
}
