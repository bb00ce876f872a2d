import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'
import type { Limiter } from './limiter'

// OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1 (128 MiB). Stored with the hash so it can be raised later.
const COST = { N: 2 ** 17, r: 8, p: 1 }
const KEY_LENGTH = 32

function derive(password: string, salt: Buffer, cost: typeof COST): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * 1024 * 1024 }
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, COST)
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$')
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const actual = await derive(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** Verifying against this when no user matches keeps the answer time the same, so it does not reveal which addresses exist. */
export const unusablePasswordHash = `scrypt$${COST.N}$${COST.r}$${COST.p}$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`

export type VerifyPassword = (password: string, stored: string) => Promise<boolean>

/**
 * How logins check passwords: `verify` (scrypt; tests count and hold their own) under `limiter`.
 * Each check holds a thread of libuv's small pool and 128 MiB for a few hundred ms, so a few
 * senders of wrong passwords could hold the login path, and the memory, without a bound.
 */
export interface PasswordChecks {
  verify: VerifyPassword
  limiter: Limiter
}
