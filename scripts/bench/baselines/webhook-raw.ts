/** Baseline for webhook ingest: the same rows as one multi-row INSERT per batch with postgres.js. */
import { type LoadResult, measureLoop } from '../harness'
import { rawPostgres } from '../sql'
import { type BenchEvent, eventBatch } from '../webhook-events'

export async function rawIngest(
  databaseUrl: string,
  messageIds: string[],
  warmUp: boolean,
  concurrency: number,
): Promise<LoadResult> {
  const sql = rawPostgres(databaseUrl, { max: concurrency })
  const run = async (seconds?: number) => {
    const result = await measureLoop(
      async () => {
        const now = new Date()
        const rows = eventBatch(messageIds).map((item: { msys: Record<string, BenchEvent> }) => {
          const [kind, event] = Object.entries(item.msys)[0]!
          return {
            event_id: event.event_id,
            batch_id: null,
            kind,
            type: event.type,
            message_id: event.rcpt_meta.candor_message_id,
            candidacy_id: null,
            occurred_at: new Date(Number(event.timestamp) * 1000),
            received_at: now,
            payload: sql.json(event as never),
          }
        })
        await sql`insert into tracking_events ${sql(rows)} on conflict (event_id) do nothing`
      },
      { concurrency, ...(seconds === undefined ? {} : { seconds }) },
    )
    // A loop iteration is a batch of 1,000 events: rate and operations count events.
    return { ...result, rate: result.rate * 1000, operations: (result.operations ?? 0) * 1000 }
  }
  try {
    if (warmUp) await run(3)
    return await run()
  } finally {
    await sql.end()
  }
}
