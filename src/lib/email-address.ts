import { createHmac } from 'node:crypto'

/**
 * How one person is recognised across vacancies: trimmed and lower-cased. The local part is
 * case-insensitive in practice everywhere; provider tricks (dots, +tags) are not folded, since
 * they can be different people on other domains.
 */
export function normaliseEmail(address: string): string {
  return address.trim().toLowerCase()
}

/** The suppression list's keyed hash: without SERVER_SECRET it cannot be reversed by guessing addresses. */
export function suppressionHash(address: string, secret: string): string {
  return createHmac('sha256', secret).update(normaliseEmail(address)).digest('hex')
}
