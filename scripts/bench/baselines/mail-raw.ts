/** Baseline for the mail pipeline: raw pooled nodemailer sending the same number of mails to the same sink. */
import nodemailer from 'nodemailer'
import type { LoadResult } from '../harness'

export async function rawMail(smtpUrl: string, count: number, body: string): Promise<LoadResult> {
  const transport = nodemailer.createTransport(`${smtpUrl}?pool=true`)
  const started = performance.now()
  let failures = 0
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      transport
        .sendMail({
          from: 'Candor <bench@candor.bench>',
          to: `raw-${i}@bench.test`,
          subject: 'Bench',
          text: body,
          html: `<p>${body}</p>`,
        })
        .catch(() => {
          failures++
        }),
    ),
  )
  const seconds = (performance.now() - started) / 1000
  transport.close()
  return { rate: count / seconds, failures, operations: count - failures }
}
