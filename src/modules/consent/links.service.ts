import { randomUUID } from 'node:crypto'
import type { Executor } from '../../db/client'
import { hashLinkToken, newLinkToken } from '../../lib/tokens'
import type { Services } from '../../services'
import { insertLinkTokens, type NewLinkToken } from './consent.repository'

// Links as other modules reach them (mail, requests, the talent pool): through this service.
export { findLink, findLinkContext, insertLinkTokens, type LinkTokenRow } from './consent.repository'

export interface IssuedLink {
  id: string
  token: string
  url: string
}

const LINK_PATHS = {
  consent: 'c',
  withdraw: 'w',
  self_service: 'r',
  download: 'd',
  talent_pool: 't',
} as const

export const linkUrl = (
  config: Pick<Services['config'], 'publicBaseUrl'>,
  action: keyof typeof LINK_PATHS,
  token: string,
) => `${config.publicBaseUrl}/${LINK_PATHS[action]}/${token}`

/**
 * A link bound to a candidacy: withdraw links never expire (Art. 7(3), Art. 21(4)); the
 * self-service link ("see or delete my data") neither. Mail links pass their derived token.
 */
export async function issueLink(
  deps: Pick<Services, 'clock' | 'config'>,
  db: Executor,
  candidacyId: string,
  action: 'withdraw' | 'self_service',
  token = newLinkToken(),
): Promise<IssuedLink> {
  const row = standingLinkRow(deps, candidacyId, action, token)
  await insertLinkTokens(db, [row])
  return { id: row.id!, token, url: linkUrl(deps.config, action, token) }
}

/** A link that never expires (withdraw, see-or-delete): Art. 7(3) withdrawal stays one click away. */
export function standingLinkRow(
  deps: Pick<Services, 'clock'>,
  candidacyId: string,
  action: 'withdraw' | 'self_service',
  token: string,
): NewLinkToken {
  return {
    id: randomUUID(),
    tokenHash: hashLinkToken(token),
    candidacyId,
    action,
    expiresAt: null,
    createdAt: deps.clock.now(),
  }
}
