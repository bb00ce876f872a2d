/**
 * GDPR "one month" deadlines (Art. 12(3) subject requests, Art. 14(3) notices) computed as Regulation
 * (EEC, Euratom) No 1182/71 prescribes, which is how the EDPB guidelines on the right of access read them.
 *
 * A calendar date is an ISO 'YYYY-MM-DD' string; arithmetic on it runs on UTC day numbers so that the
 * machine's time zone never matters. Instants become calendar dates in the jurisdiction's time zone.
 */
import Holidays from 'date-holidays'

export type CalendarDate = string // 'YYYY-MM-DD'

export interface Deadline {
  /** The last day of the period, in the jurisdiction's calendar. */
  dueDate: CalendarDate
  /** The last instant of that day (23:59:59.999 local time). */
  dueAt: Date
}

const DAY_MS = 86_400_000
// No jurisdiction rests for a year on end: a longer run of days off means broken holiday data.
const MAX_DAYS_OFF = 366

interface Calendar {
  holidays: Holidays
  timeZone: string
  wallClock: Intl.DateTimeFormat
  /** Years whose holidays (as listed by date-holidays) have been read. */
  loadedYears: Set<number>
  /** Public holidays as UTC day numbers, by the year they fall in. */
  holidaysByYear: Map<number, Set<number>>
  /** Last instant of each local day asked for, by day number: due dates repeat across rows. */
  endsOfDays: Map<number, number>
}

const calendars = new Map<string, Calendar>()
let directory: Holidays | undefined

function findCode(codes: Record<string, string> | undefined, code: string): string | undefined {
  return Object.keys(codes ?? {}).find((key) => key.toUpperCase() === code.toUpperCase())
}

function calendar(jurisdiction: string): Calendar {
  const cached = calendars.get(jurisdiction)
  if (cached) return cached
  // date-holidays quietly falls back to the country (or to nothing) for codes it does not know, which
  // would silently drop regional holidays: check each part against its own lists first.
  directory ??= new Holidays()
  const [countryPart = '', statePart, regionPart, ...rest] = jurisdiction.split('-')
  const country = findCode(directory.getCountries(), countryPart)
  const state =
    country && statePart !== undefined ? findCode(directory.getStates(country), statePart) : undefined
  const region =
    country && state && regionPart !== undefined
      ? findCode(directory.getRegions(country, state), regionPart)
      : undefined
  if (
    !country ||
    (statePart !== undefined && !state) ||
    (regionPart !== undefined && !region) ||
    rest.length > 0
  ) {
    throw new Error(
      `unknown jurisdiction '${jurisdiction}' (expected a date-holidays code such as NL or DE-BY)`,
    )
  }
  // Only public holidays count (Art. 2(1)); asking for just those spares date-holidays most of its work.
  const options = { types: ['public' as const] }
  const holidays = region
    ? new Holidays(country, state!, region, options)
    : state
      ? new Holidays(country, state, options)
      : new Holidays(country, options)
  const timeZone = holidays.getTimezones()[0] ?? 'UTC'
  const wallClock = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  })
  const created: Calendar = {
    holidays,
    timeZone,
    wallClock,
    loadedYears: new Set(),
    holidaysByYear: new Map(),
    endsOfDays: new Map(),
  }
  calendars.set(jurisdiction, created)
  return created
}

// ---- calendar dates as UTC day numbers ----

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

function parts(date: CalendarDate): [year: number, month: number, day: number] {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (match) {
    const year = Number(match[1])
    const month = Number(match[2])
    const day = Number(match[3])
    if (month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)) return [year, month, day]
  }
  throw new RangeError(`not a calendar date (YYYY-MM-DD): '${date}'`)
}

function format(year: number, month: number, day: number): CalendarDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

function dayNumberOf(year: number, month: number, day: number): number {
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day) // unlike Date.UTC, keeps years 0–99 as they are
  return Math.round(date.getTime() / DAY_MS)
}

function toDayNumber(date: CalendarDate): number {
  return dayNumberOf(...parts(date))
}

function yearOf(dayNumber: number): number {
  return new Date(dayNumber * DAY_MS).getUTCFullYear()
}

function fromDayNumber(dayNumber: number): CalendarDate {
  const date = new Date(dayNumber * DAY_MS)
  return format(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())
}

// ---- instants and local wall-clock time ----

const WALL_CLOCK = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/

/** The local wall-clock time of `instant` in the calendar's zone, written as if it were a UTC instant. */
function wallTime(cal: Calendar, instant: number): number {
  // format() and a pattern cost less than formatToParts(), which stays as the fallback.
  const match = WALL_CLOCK.exec(cal.wallClock.format(instant))
  const fields = match
    ? { month: match[1], day: match[2], year: match[3], hour: match[4], minute: match[5], second: match[6] }
    : Object.fromEntries(cal.wallClock.formatToParts(instant).map((part) => [part.type, part.value]))
  const milliseconds = ((instant % 1000) + 1000) % 1000
  return (
    dayNumberOf(Number(fields.year), Number(fields.month), Number(fields.day)) * DAY_MS +
    ((Number(fields.hour) * 60 + Number(fields.minute)) * 60 + Number(fields.second)) * 1000 +
    milliseconds
  )
}

function localDayNumber(cal: Calendar, instant: number): number {
  return Math.floor(wallTime(cal, instant) / DAY_MS)
}

function endOfLocalDayNumber(cal: Calendar, dayNumber: number): number {
  const cached = cal.endsOfDays.get(dayNumber)
  if (cached !== undefined) return cached
  const end = findEndOfLocalDay(cal, dayNumber)
  cal.endsOfDays.set(dayNumber, end)
  return end
}

function findEndOfLocalDay(cal: Calendar, dayNumber: number): number {
  const wall = (dayNumber + 1) * DAY_MS - 1
  // The offsets in force a day either side cover any transition near this wall time; where the wall time
  // happens twice (clocks set back at midnight, as in Chile) the later instant is the end of the day.
  const offsets = [wall - DAY_MS, wall + DAY_MS].map((probe) => wallTime(cal, probe) - probe)
  const candidates = offsets
    .map((offset) => wall - offset)
    .filter((instant) => wallTime(cal, instant) === wall)
  if (candidates.length > 0) return Math.max(...candidates)
  // No zone date-holidays uses skips 23:59:59.999 (checked 1970–2040); answer nothing rather than guess.
  throw new Error(`${fromDayNumber(dayNumber)} has no 23:59:59.999 in ${cal.timeZone}`)
}

function instantOf(instant: Date): number {
  const time = instant.getTime()
  if (Number.isNaN(time)) throw new RangeError('not a valid instant: Invalid Date')
  return time
}

// ---- working days ----

function loadYear(cal: Calendar, year: number): void {
  if (cal.loadedYears.has(year)) return
  cal.loadedYears.add(year)
  for (const holiday of cal.holidays.getHolidays(year)) {
    if (holiday.type !== 'public') continue
    // Some public holidays last several days; `date` is the first one in the holiday's own calendar.
    // (Rounding absorbs the 23- and 25-hour days of DST changes.)
    const first = toDayNumber(holiday.date.slice(0, 10))
    const days = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / DAY_MS))
    for (let day = first; day < first + days; day++) {
      const inYear = yearOf(day)
      let set = cal.holidaysByYear.get(inYear)
      if (!set) {
        set = new Set()
        cal.holidaysByYear.set(inYear, set)
      }
      set.add(day)
    }
  }
}

function isPublicHoliday(cal: Calendar, dayNumber: number): boolean {
  const year = yearOf(dayNumber)
  loadYear(cal, year - 1) // a holiday of several days may run on from the year before
  loadYear(cal, year)
  return cal.holidaysByYear.get(year)?.has(dayNumber) ?? false
}

function isWorkingDayNumber(cal: Calendar, dayNumber: number): boolean {
  // Art. 2(2): working days are all days other than public holidays, Sundays and Saturdays.
  const weekday = (((dayNumber + 4) % 7) + 7) % 7 // 1 January 1970 was a Thursday
  return weekday !== 0 && weekday !== 6 && !isPublicHoliday(cal, dayNumber)
}

function workingDayFrom(cal: Calendar, dayNumber: number, step: 1 | -1): number {
  for (let day = dayNumber, tried = 0; tried <= MAX_DAYS_OFF; day += step, tried++) {
    if (isWorkingDayNumber(cal, day)) return day
  }
  throw new Error(`no working day within ${MAX_DAYS_OFF} days of ${fromDayNumber(dayNumber)}`)
}

function count(n: number, what: string): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a whole number, got ${n}`)
  return n
}

// ---- exported API ----

export function jurisdictionTimeZone(jurisdiction: string): string {
  return calendar(jurisdiction).timeZone
}

export function localDate(instant: Date, jurisdiction: string): CalendarDate {
  const cal = calendar(jurisdiction)
  return fromDayNumber(localDayNumber(cal, instantOf(instant)))
}

export function endOfLocalDay(date: CalendarDate, jurisdiction: string): Date {
  const cal = calendar(jurisdiction)
  return new Date(endOfLocalDayNumber(cal, toDayNumber(date)))
}

export function isWorkingDay(date: CalendarDate, jurisdiction: string): boolean {
  return isWorkingDayNumber(calendar(jurisdiction), toDayNumber(date))
}

/** The date itself if it is a working day, else the first working day after it. */
export function nextWorkingDay(date: CalendarDate, jurisdiction: string): CalendarDate {
  return fromDayNumber(workingDayFrom(calendar(jurisdiction), toDayNumber(date), 1))
}

/**
 * n ≥ 0 working days before `date` (counting only working days; n = 0 returns date moved back to a working
 * day if it is not one). For n ≥ 1 the result is the working day with exactly n working days in
 * [result, date): one working day before a Saturday or a Monday is the Friday.
 */
export function workingDaysBefore(date: CalendarDate, n: number, jurisdiction: string): CalendarDate {
  if (count(n, 'working days') < 0) throw new RangeError(`working days must not be negative, got ${n}`)
  const cal = calendar(jurisdiction)
  let day = toDayNumber(date)
  if (n === 0) return fromDayNumber(workingDayFrom(cal, day, -1))
  for (let i = 0; i < n; i++) day = workingDayFrom(cal, day - 1, -1)
  return fromDayNumber(day)
}

/**
 * The working day n working days after `date`: as in Art. 3(1) the day of `date` itself is not counted, so
 * there are exactly n working days in (date, result]. n = 0 gives nextWorkingDay(date); a negative n
 * counts back as workingDaysBefore(date, -n).
 */
export function addWorkingDays(date: CalendarDate, n: number, jurisdiction: string): CalendarDate {
  if (count(n, 'working days') < 0) return workingDaysBefore(date, -n, jurisdiction)
  const cal = calendar(jurisdiction)
  let day = toDayNumber(date)
  if (n === 0) return fromDayNumber(workingDayFrom(cal, day, 1))
  for (let i = 0; i < n; i++) day = workingDayFrom(cal, day + 1, 1)
  return fromDayNumber(day)
}

/** Same date `months` later, clamped to that month's last day (no working-day move). */
export function addCalendarMonths(date: CalendarDate, months: number): CalendarDate {
  const [year, month, day] = parts(date)
  const index = year * 12 + (month - 1) + count(months, 'months')
  const toYear = Math.floor(index / 12)
  const toMonth = index - toYear * 12 + 1
  // Art. 3(2)(c): when the same date does not occur in the last month, the period ends on its last day.
  return format(toYear, toMonth, Math.min(day, daysInMonth(toYear, toMonth)))
}

/**
 * The Regulation 1182/71 deadline `months` after the instant of receipt (1 for GDPR's one month; 3 after an
 * Art. 12(3) extension).
 */
export function monthsDeadline(received: Date, months: number, jurisdiction: string): Deadline {
  if (count(months, 'months') < 1) throw new RangeError(`a deadline needs at least one month, got ${months}`)
  const cal = calendar(jurisdiction)
  // Art. 3(1): the day of receipt is not counted, so the period runs from the local date of receipt and
  // (Art. 3(2)(c)) ends on the same date `months` later, or on that month's last day.
  const runsFrom = fromDayNumber(localDayNumber(cal, instantOf(received)))
  const lastDay = toDayNumber(addCalendarMonths(runsFrom, months))
  // Art. 3(4): a period ending on a Saturday, Sunday or public holiday ends on the following working day.
  const due = workingDayFrom(cal, lastDay, 1)
  // Art. 3(2)(c): the period ends "with the expiry of the last hour" of that day.
  return { dueDate: fromDayNumber(due), dueAt: new Date(endOfLocalDayNumber(cal, due)) }
}

/** Shorthand for monthsDeadline(received, 1, jurisdiction). */
export function oneMonthDeadline(received: Date, jurisdiction: string): Deadline {
  return monthsDeadline(received, 1, jurisdiction)
}
