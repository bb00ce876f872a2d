import { customType } from 'drizzle-orm/pg-core'

/**
 * PostgreSQL's ISO output of a `timestamp with time zone`: `0020-06-15 00:00:00.5+00`, an offset
 * that may carry minutes and seconds, ` BC` before year 1, more than four digits after year 9999.
 */
const TIMESTAMPTZ =
  /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?( BC)?$/

/** The largest instant a JavaScript Date holds (ECMA-262 §21.4.1.1), for PostgreSQL's ±infinity. */
const DATE_LIMIT_MS = 8.64e15

/**
 * Reads a timestamptz exactly, whatever the year. `new Date(text)` (what drivers do) reads
 * years 0–99 as 1900–1999 or not at all, so a stored year 0020 came back as 1920 or broke the answer.
 */
export function parseTimestamptz(text: string): Date {
  if (text === 'infinity') return new Date(DATE_LIMIT_MS)
  if (text === '-infinity') return new Date(-DATE_LIMIT_MS)
  const parts = TIMESTAMPTZ.exec(text)
  if (!parts) throw new TypeError('not a PostgreSQL timestamptz')
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second,
    fraction,
    sign,
    offsetHours,
    offsetMinutes,
    offsetSeconds,
    bc,
  ] = parts
  // ISO 8601 counts 1 BC as year 0 (astronomical years), as Date does.
  const fullYear = bc ? 1 - Number(year) : Number(year)
  const instant = new Date(0)
  instant.setUTCFullYear(fullYear, Number(month) - 1, Number(day))
  instant.setUTCHours(
    Number(hour),
    Number(minute),
    Number(second),
    Number((fraction ?? '').padEnd(3, '0').slice(0, 3)),
  )
  const offsetMs =
    (Number(offsetHours) * 3600 + Number(offsetMinutes ?? 0) * 60 + Number(offsetSeconds ?? 0)) * 1000
  return new Date(instant.getTime() - (sign === '-' ? -offsetMs : offsetMs))
}

/**
 * A `timestamp with time zone` column that reads back the instant it was given. Drizzle's own
 * timestamp column parses the driver's text with `new Date(…)`; this one parses it exactly.
 */
export const instant = customType<{ data: Date; driverData: string }>({
  dataType: () => 'timestamp with time zone',
  toDriver: (value) => value.toISOString(),
  fromDriver: (value) => parseTimestamptz(value),
})
