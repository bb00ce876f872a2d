import type { Executor } from '../../db/client'
import type { Clock } from '../../lib/clock'
import { AppError } from '../../lib/problems'
import type { Principal } from '../../plugins/access'
import {
  type AgreementRow,
  type ClientRow,
  findClient,
  insertAgreement,
  insertClient,
  listAgreements,
  listClients,
} from './clients.repository'
import type { agreementRoles } from './clients.tables'

// A client as others read it (its name and country for mail and records).
export { type ClientRow, currentAgreement, findClient } from './clients.repository'

export interface ClientDeps {
  db: Executor
  clock: Clock
}

export type ClientWithAgreements = ClientRow & { agreements: AgreementRow[] }

export async function createClient(
  { db, clock }: ClientDeps,
  input: { name: string; country: string },
): Promise<ClientWithAgreements> {
  const client = await insertClient(db, { ...input, createdAt: clock.now() })
  return { ...client, agreements: [] }
}

export async function getClient(
  db: Executor,
  principal: Principal,
  id: string,
): Promise<ClientWithAgreements> {
  const client = principal.clientId && principal.clientId !== id ? undefined : await findClient(db, id)
  if (!client) throw new AppError('client.not_found')
  return { ...client, agreements: await listAgreements(db, id) }
}

export async function getClients(db: Executor, principal: Principal): Promise<ClientWithAgreements[]> {
  const rows = await listClients(db, { clientId: principal.clientId })
  return Promise.all(
    rows.map(async (client) => ({ ...client, agreements: await listAgreements(db, client.id) })),
  )
}

export async function recordAgreement(
  { db, clock }: ClientDeps,
  actor: Principal,
  clientId: string,
  input: { version: string; signedAt: Date; role: (typeof agreementRoles)[number]; documentRef: string },
): Promise<AgreementRow> {
  if (input.signedAt > clock.now()) {
    throw new AppError('request.invalid', 'signedAt cannot be in the future', {
      errors: [{ field: 'body.signedAt', message: 'cannot be in the future' }],
    })
  }
  if (!(await findClient(db, clientId))) throw new AppError('client.not_found')
  return insertAgreement(db, { ...input, clientId, recordedBy: actor.userId, recordedAt: clock.now() })
}
