import type { Executor } from '../../db/client'
import type { Clock } from '../../lib/clock'
import { LimiterFullError } from '../../lib/limiter'
import { hashPassword, type PasswordChecks, unusablePasswordHash } from '../../lib/passwords'
import { AppError } from '../../lib/problems'
import { findClient } from '../clients/clients.service'
import { findUserByEmail, insertUser, type UserRow } from './auth.repository'
import type { Role } from './auth.tables'

// The users an admin lists.
export { listUsers } from './auth.repository'

export interface UserDeps {
  db: Executor
  clock: Clock
}

export interface NewUserInput {
  email: string
  password: string
  role: Role
  displayName: string
  clientId?: string | undefined
}

export const normaliseLogin = (email: string) => email.trim().toLowerCase()

export async function createUser({ db, clock }: UserDeps, input: NewUserInput): Promise<UserRow> {
  if ((input.role === 'client') !== Boolean(input.clientId)) throw new AppError('user.client_required')
  if (input.clientId && !(await findClient(db, input.clientId))) throw new AppError('client.not_found')
  const user = await insertUser(db, {
    email: normaliseLogin(input.email),
    passwordHash: await hashPassword(input.password),
    role: input.role,
    clientId: input.clientId ?? null,
    displayName: input.displayName,
    createdAt: clock.now(),
  })
  if (!user) throw new AppError('user.email_taken')
  return user
}

export interface LoginDeps {
  db: Executor
  passwords: PasswordChecks
}

/**
 * Checks a login; the same work is done whether or not the address exists: one password check,
 * against a dummy hash for an unknown address, and the same answer (OWASP Authentication Cheat
 * Sheet). When the checks under way and waiting are at their bound it answers 503 at once.
 */
export async function authenticate(
  { db, passwords }: LoginDeps,
  email: string,
  password: string,
): Promise<UserRow> {
  const user = await findUserByEmail(db, normaliseLogin(email))
  const valid = await checkPassword(passwords, password, user?.passwordHash ?? unusablePasswordHash)
  if (!user || !valid || user.disabledAt) throw new AppError('auth.invalid_credentials')
  return user
}

async function checkPassword(passwords: PasswordChecks, password: string, stored: string): Promise<boolean> {
  try {
    return await passwords.limiter.run(() => passwords.verify(password, stored))
  } catch (error) {
    if (!(error instanceof LimiterFullError)) throw error
    // RFC 9110 §10.2.3: a check takes well under a second, so the queue moves within one.
    throw new AppError('auth.busy', undefined, { headers: { 'retry-after': '1' }, cause: error })
  }
}
