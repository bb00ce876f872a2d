import type { Executor } from '../../db/client'
import { toCsv } from '../../lib/csv'
import { EEA, parseProcessors } from '../../lib/processors'
import type { Services } from '../../services'
import { overviewCounts, processingRows } from './records.repository'
import type { ProcessingRecord } from './records.schemas'

export type { ProcessingRecord } from './records.schemas'

/** PostgreSQL arrays come back as arrays from postgres.js and as text from some drivers. */
const list = (value: string[] | string | null): string[] =>
  Array.isArray(value)
    ? value
    : value
      ? value
          .replace(/^\{|\}$/g, '')
          .split(',')
          .filter(Boolean)
      : []

/**
 * The records of processing (Art. 30), built from live data rather than a hand-kept document:
 * one purpose per vacancy with its basis and assessment, the categories of data actually held
 * (special categories flagged, with the DPIA), recipients, transfers, retention and measures;
 * and, per client we act for as processor, the register of Art. 30(2).
 */
export async function buildRecords(
  deps: Pick<Services, 'config'>,
  db: Executor,
  now: Date,
): Promise<ProcessingRecord> {
  const config = deps.config
  const rows = await processingRows(db)
  const processors = parseProcessors(config.PROCESSORS)
  const processorTransfers = processors
    .filter((processor) => !EEA.has(processor.country.toUpperCase()))
    .map((processor) => ({
      to: processor.name,
      country: processor.country,
      safeguards: processor.safeguards,
    }))

  const purposes = rows.map((row) => {
    const reasons = list(row.dpia_reasons)
    const clientTransfer = EEA.has(row.client_country.toUpperCase())
      ? []
      : [
          {
            to: row.client_name,
            country: row.client_country,
            safeguards: `as agreed in processing agreement ${row.agreement_version ?? '(none)'}`,
          },
        ]
    return {
      vacancyId: row.id,
      name: row.title,
      status: row.status,
      client: row.client_name,
      purpose: row.purpose,
      legalBasis:
        row.legal_basis === 'legitimate_interest'
          ? 'Art. 6(1)(f) legitimate interest'
          : 'Art. 6(1)(a) consent',
      basisEvidence:
        row.legal_basis === 'legitimate_interest'
          ? `legitimate-interest assessment approved by ${row.lia_approved_by ?? '(not approved)'} on ${row.lia_approved_at ?? '-'}`
          : 'consent per candidate, proved in the ledger by the hash of the text agreed to',
      dataSubjects:
        'candidates for this vacancy, sourced from public professional profiles or applying themselves',
      dataCategories: [
        'contact details (name, e-mail address, phone)',
        ...list(row.fact_kinds).map((kind) => `professional profile: ${kind}`),
        ...list(row.identifier_kinds).map((kind) => `identifier: ${kind} (encrypted)`),
        'consent and processing history (ledger), mail sent and delivery events',
      ],
      specialCategories: list(row.special_categories),
      dpia: {
        required: reasons.length > 0,
        reasons,
        reference: row.dpia_reference,
        recordedAt: row.dpia_recorded_at,
      },
      recipients: [
        {
          name: row.client_name,
          role: `client, ${row.agreement_role ?? 'no agreement'} (agreement ${row.agreement_version ?? '-'}); only candidates who consented`,
        },
        ...processors.map((processor) => ({
          name: processor.name,
          role: `processor: ${processor.activity}`,
        })),
      ],
      transfers: [...clientTransfer, ...processorTransfers],
      retention: `${row.retention_days} days after the vacancy closes; consent requests expire after ${config.CONSENT_LINK_TTL_DAYS} days`,
      securityMeasures: config.SECURITY_MEASURES,
    }
  })

  const processorRegister = [
    ...new Map(
      rows.filter((row) => row.agreement_role === 'processor').map((row) => [row.client_name, row]),
    ).values(),
  ].map((row) => ({
    client: row.client_name,
    agreement: `${row.agreement_version} signed ${row.agreement_signed_at}`,
    processing: [
      'sourcing candidates',
      'outreach by e-mail',
      'consent collection',
      'introduction to the client',
    ],
    transfers: EEA.has(row.client_country.toUpperCase())
      ? processorTransfers
      : [
          { to: row.client_name, country: row.client_country, safeguards: 'per agreement' },
          ...processorTransfers,
        ],
    securityMeasures: config.SECURITY_MEASURES,
  }))
  return {
    generatedAt: now.toISOString(),
    controller: { name: config.CONTROLLER_NAME, contact: config.CONTROLLER_CONTACT, dpo: config.DPO_CONTACT },
    purposes,
    processorRegister,
  }
}

export const RECORD_COLUMNS = [
  'controller',
  'dpo',
  'purpose (vacancy)',
  'status',
  'client',
  'purpose of processing',
  'legal basis',
  'basis evidence',
  'categories of data subjects',
  'categories of personal data',
  'special categories',
  'DPIA',
  'recipients',
  'transfers outside the EEA',
  'retention',
  'technical and organisational measures',
] as const

export function recordsCsv(record: ProcessingRecord): string {
  const rows = record.purposes.map((purpose) => [
    `${record.controller.name} (${record.controller.contact})`,
    record.controller.dpo,
    purpose.name,
    purpose.status,
    purpose.client,
    purpose.purpose,
    purpose.legalBasis,
    purpose.basisEvidence,
    purpose.dataSubjects,
    purpose.dataCategories.join('; '),
    purpose.specialCategories.join('; ') || 'none',
    purpose.dpia.required
      ? `required (${purpose.dpia.reasons.join(', ')}): ${purpose.dpia.reference ?? 'NOT RECORDED'}`
      : 'not required',
    purpose.recipients.map((recipient) => `${recipient.name} — ${recipient.role}`).join('; '),
    purpose.transfers
      .map((transfer) => `${transfer.to} (${transfer.country}): ${transfer.safeguards}`)
      .join('; ') || 'none',
    purpose.retention,
    purpose.securityMeasures,
  ])
  return toCsv([RECORD_COLUMNS, ...rows])
}

export function recordsHtml(deps: Pick<Services, 'templates'>, record: ProcessingRecord): string {
  return deps.templates.html.render('pages/records', { record })
}

/** The counts of `/dpo/overview`, read in one statement. */
export function dpoOverviewCounts(deps: Pick<Services, 'db'>, now: Date, week: Date) {
  return overviewCounts(deps.db, now, week)
}
