import { z } from 'zod'

const transfer = z.object({ to: z.string(), country: z.string(), safeguards: z.string() })

/** The records of processing (Art. 30) as JSON: the one description of their shape. */
export const processingRecordView = z
  .object({
    generatedAt: z.string(),
    controller: z.object({ name: z.string(), contact: z.string(), dpo: z.string() }),
    purposes: z.array(
      z.object({
        vacancyId: z.uuid(),
        name: z.string(),
        status: z.string(),
        client: z.string(),
        purpose: z.string(),
        legalBasis: z.string(),
        basisEvidence: z.string(),
        dataSubjects: z.string(),
        dataCategories: z.array(z.string()),
        specialCategories: z.array(z.string()),
        dpia: z.object({
          required: z.boolean(),
          reasons: z.array(z.string()),
          reference: z.string().nullable(),
          recordedAt: z.string().nullable(),
        }),
        recipients: z.array(z.object({ name: z.string(), role: z.string() })),
        transfers: z.array(transfer),
        retention: z.string(),
        securityMeasures: z.string(),
      }),
    ),
    processorRegister: z.array(
      z.object({
        client: z.string(),
        agreement: z.string(),
        processing: z.array(z.string()),
        transfers: z.array(transfer),
        securityMeasures: z.string(),
      }),
    ),
  })
  .meta({ id: 'ProcessingRecords' })

export type ProcessingRecord = z.infer<typeof processingRecordView>
