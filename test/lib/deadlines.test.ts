import Holidays from 'date-holidays'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addCalendarMonths,
  addWorkingDays,
  endOfLocalDay,
  isWorkingDay,
  jurisdictionTimeZone,
  localDate,
  monthsDeadline,
  nextWorkingDay,
  oneMonthDeadline,
  workingDaysBefore,
} from '../../src/lib/deadlines'

// ---- an independent oracle: date-holidays asked directly, Intl in Swedish (which writes YYYY-MM-DD) ----

const jurisdictions = ['NL', 'DE', 'BE', 'FR', 'GB'] as const
const zones: Record<string, string> = {
  NL: 'Europe/Amsterdam',
  DE: 'Europe/Berlin',
  BE: 'Europe/Brussels',
  FR: 'Europe/Paris',
  GB: 'Europe/London',
}
const DAY_MS = 86_400_000

const libraries = new Map<string, Holidays>()
const publicHolidays = new Map<string, Set<string>>()

function isPublicHoliday(date: string, jurisdiction: string): boolean {
  const key = `${jurisdiction} ${date.slice(0, 4)}`
  let set = publicHolidays.get(key)
  if (!set) {
    let library = libraries.get(jurisdiction)
    if (!library) {
      library = new Holidays(jurisdiction)
      libraries.set(jurisdiction, library)
    }
    const holidays = library.getHolidays(Number(date.slice(0, 4))).filter((h) => h.type === 'public')
    // The oracle reads each holiday as one day; make sure that stays true for the countries tested.
    expect(holidays.every((h) => Math.abs(h.end.getTime() - h.start.getTime() - DAY_MS) <= 3_600_000)).toBe(
      true,
    )
    set = new Set(holidays.map((h) => h.date.slice(0, 10)))
    publicHolidays.set(key, set)
  }
  return set.has(date)
}

function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay()
}

function isWorking(date: string, jurisdiction: string): boolean {
  return weekday(date) !== 0 && weekday(date) !== 6 && !isPublicHoliday(date, jurisdiction)
}

function plusDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10)
}

function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS
}

function firstWorkingOnOrAfter(date: string, jurisdiction: string): string {
  let day = date
  while (!isWorking(day, jurisdiction)) day = plusDays(day, 1)
  return day
}

function workingDaysIn(from: string, to: string, jurisdiction: string): number {
  let count = 0
  for (let day = from; day <= to; day = plusDays(day, 1)) if (isWorking(day, jurisdiction)) count++
  return count
}

function zoneDate(instant: Date | number, jurisdiction: string): string {
  return new Date(instant).toLocaleDateString('sv-SE', { timeZone: zones[jurisdiction] })
}

/** Same date `months` later, or that month's last day: built on Date.UTC rolling over, no month table. */
function sameDateLater(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  const lastDay = new Date(Date.UTC(year, month - 1 + months + 1, 0)).getUTCDate()
  return new Date(Date.UTC(year, month - 1 + months, Math.min(day, lastDay))).toISOString().slice(0, 10)
}

// ---- arbitraries ----

const jurisdiction = fc.constantFrom(...jurisdictions)
const receipt = fc.date({
  min: new Date('2000-01-01T00:00:00.000Z'),
  max: new Date('2100-12-31T23:59:59.999Z'),
  noInvalidDate: true,
})
const calendarDate = fc
  .integer({ min: Date.UTC(2000, 0, 1) / DAY_MS, max: Date.UTC(2100, 11, 31) / DAY_MS })
  .map((day) => new Date(day * DAY_MS).toISOString().slice(0, 10))
// Within 9 hours of noon UTC every European zone is still on the same calendar date.
const nearNoon = fc.integer({ min: -9 * 60, max: 9 * 60 })
const year = fc.integer({ min: 2000, max: 2100 })

function at(date: string, minutesFromNoon: number): Date {
  return new Date(Date.parse(`${date}T12:00:00Z`) + minutesFromNoon * 60_000)
}

describe('one-month deadlines in the Netherlands (Regulation 1182/71 Art. 3)', () => {
  it.each([
    ['2026-01-31T10:00:00Z', '2026-03-02', '28 Feb is a Saturday', '2026-03-02T22:59:59.999Z'],
    ['2024-01-31T10:00:00Z', '2024-02-29', 'leap year, Thursday', '2024-02-29T22:59:59.999Z'],
    ['2026-03-27T10:00:00Z', '2026-04-28', "27 Apr is King's Day, a Monday", '2026-04-28T21:59:59.999Z'],
    ['2026-03-06T10:00:00Z', '2026-04-07', '6 Apr is Easter Monday', '2026-04-07T21:59:59.999Z'],
    ['2026-11-25T10:00:00Z', '2026-12-28', 'Christmas Fri, Boxing Day Sat, Sun', '2026-12-28T22:59:59.999Z'],
    ['2026-12-01T10:00:00Z', '2027-01-04', "New Year's Day Fri, then weekend", '2027-01-04T22:59:59.999Z'],
    ['2026-04-14T10:00:00Z', '2026-05-15', '14 May is Ascension Day', '2026-05-15T21:59:59.999Z'],
    ['2026-04-25T10:00:00Z', '2026-05-26', '25 May is Whit Monday', '2026-05-26T21:59:59.999Z'],
    ['2026-04-05T10:00:00Z', '2026-05-05', 'Liberation Day is not public here', '2026-05-05T21:59:59.999Z'],
    ['2025-04-30T10:00:00Z', '2025-05-30', '30 May, a Friday', '2025-05-30T21:59:59.999Z'],
    ['2026-03-31T10:00:00Z', '2026-04-30', 'April has no 31st', '2026-04-30T21:59:59.999Z'],
    ['2026-05-31T10:00:00Z', '2026-06-30', 'June has no 31st', '2026-06-30T21:59:59.999Z'],
    ['2026-04-13T22:30:00Z', '2026-05-15', 'already 14 Apr in Amsterdam', '2026-05-15T21:59:59.999Z'],
    ['2026-04-13T21:59:59.999Z', '2026-05-13', 'last instant of 13 Apr there', '2026-05-13T21:59:59.999Z'],
  ])('a request received at %s is due on %s (%s)', (received, dueDate, _why, dueAt) => {
    const deadline = oneMonthDeadline(new Date(received), 'NL')
    expect(deadline.dueDate).toBe(dueDate)
    expect(deadline.dueAt.toISOString()).toBe(dueAt)
  })

  it.each([
    ['2026-01-31T10:00:00Z', '2026-04-30', '30 April, a Thursday'],
    ['2026-01-27T10:00:00Z', '2026-04-28', "27 Apr is King's Day"],
    ['2025-11-30T10:00:00Z', '2026-03-02', '28 Feb is a Saturday'],
  ])('a request received at %s and extended by two months is due on %s (%s)', (received, dueDate) => {
    expect(monthsDeadline(new Date(received), 3, 'NL').dueDate).toBe(dueDate)
  })

  it('is the same deadline as one month counted with monthsDeadline', () => {
    const received = new Date('2026-03-27T10:00:00Z')
    expect(oneMonthDeadline(received, 'NL')).toEqual(monthsDeadline(received, 1, 'NL'))
  })
})

describe('the jurisdiction decides the holidays and the calendar day', () => {
  it.each([
    ['2025-12-06T10:00:00Z', 'NL', '2026-01-06', 'Epiphany is no holiday in the Netherlands'],
    ['2025-12-06T10:00:00Z', 'DE', '2026-01-06', 'nor in Germany as a whole'],
    ['2025-12-06T10:00:00Z', 'DE-BY', '2026-01-07', 'but it is in Bavaria'],
    ['2026-05-04T10:00:00Z', 'NL', '2026-06-04', 'Corpus Christi is no holiday in the Netherlands'],
    ['2026-05-04T10:00:00Z', 'DE-BY', '2026-06-05', 'but it is in Bavaria'],
    ['2025-07-08T10:00:00Z', 'DE-BY', '2025-08-08', 'the Augsburg peace festival is no Bavarian holiday'],
    ['2025-07-08T10:00:00Z', 'DE-BY-A', '2025-08-11', 'but it is one in Augsburg'],
    ['2026-04-08T10:00:00Z', 'NL', '2026-05-08', 'Victory in Europe Day is no Dutch holiday'],
    ['2026-04-08T10:00:00Z', 'FR', '2026-05-11', 'but it is a French one'],
    ['2026-11-25T10:00:00Z', 'GB', '2026-12-29', 'Boxing Day is moved to Monday 28 Dec in Britain'],
    ['2026-04-13T22:30:00Z', 'GB', '2026-05-13', 'still 13 Apr in London'],
  ])('a request received at %s in %s is due on %s (%s)', (received, where, dueDate) => {
    expect(oneMonthDeadline(new Date(received), where).dueDate).toBe(dueDate)
  })

  it.each(Object.entries(zones))('reads calendar dates in %s on the clock of %s', (where, zone) => {
    expect(jurisdictionTimeZone(where)).toBe(zone)
  })

  it('takes the time zone of a subdivision from date-holidays', () => {
    expect(jurisdictionTimeZone('DE-BY')).toBe('Europe/Berlin')
    expect(jurisdictionTimeZone('US-CA')).toBe('America/Los_Angeles')
  })

  it('turns an instant into the calendar date of the jurisdiction, not of UTC', () => {
    expect(localDate(new Date('2026-01-31T23:30:00Z'), 'NL')).toBe('2026-02-01')
    expect(localDate(new Date('2026-01-31T23:30:00Z'), 'GB')).toBe('2026-01-31')
    expect(localDate(new Date('2026-07-31T22:30:00Z'), 'GB')).toBe('2026-07-31')
    expect(localDate(new Date('2026-07-31T23:30:00Z'), 'GB')).toBe('2026-08-01')
  })

  it.each(['XX', 'DE-XX', 'DE-BY-XX', 'Netherlands', '', 'DE-BY-A-B'])(
    'refuses the unknown jurisdiction %j with a clear error',
    (where) => {
      expect(() => oneMonthDeadline(new Date('2026-01-05T09:00:00Z'), where)).toThrowError(
        /^unknown jurisdiction/,
      )
      expect(() => isWorkingDay('2026-01-05', where)).toThrowError(/^unknown jurisdiction/)
    },
  )

  it('computes the same dates whatever time zone the machine runs in', () => {
    const received = [
      '2026-01-31T23:30:00Z',
      '2026-03-28T23:30:00Z',
      '2026-10-24T22:30:00Z',
      '2024-01-31T00:30:00Z',
    ]
    const compute = () =>
      received.flatMap((instant) => [
        oneMonthDeadline(new Date(instant), 'NL'),
        monthsDeadline(new Date(instant), 3, 'GB'),
        addCalendarMonths(instant.slice(0, 10), 1),
        addWorkingDays(instant.slice(0, 10), 5, 'DE'),
        workingDaysBefore(instant.slice(0, 10), 5, 'FR'),
      ])
    const original = process.env.TZ
    try {
      process.env.TZ = 'UTC'
      const inUtc = compute()
      for (const zone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/Santiago']) {
        process.env.TZ = zone
        expect(new Date(Date.UTC(2026, 0, 1)).getHours(), zone).not.toBe(0) // the zone really applies
        expect(compute(), zone).toEqual(inUtc)
      }
    } finally {
      if (original === undefined) delete process.env.TZ
      else process.env.TZ = original
    }
  })
})

describe('calendar helpers', () => {
  it.each([
    ['NL', '2026-03-28', '2026-03-28T22:59:59.999Z', 'the last day on winter time'],
    ['NL', '2026-03-29', '2026-03-29T21:59:59.999Z', 'a 23-hour day'],
    ['NL', '2026-10-24', '2026-10-24T21:59:59.999Z', 'the last day on summer time'],
    ['NL', '2026-10-25', '2026-10-25T22:59:59.999Z', 'a 25-hour day'],
    ['GB', '2026-03-29', '2026-03-29T22:59:59.999Z', 'London starts summer time'],
    ['GB', '2026-12-31', '2026-12-31T23:59:59.999Z', 'London in winter is UTC'],
    ['CL', '2026-04-04', '2026-04-05T03:59:59.999Z', 'Chile turns back from 24:00 to 23:00: the later'],
    ['CL', '2026-09-05', '2026-09-06T03:59:59.999Z', 'Chile skips from 24:00 to 01:00'],
  ])('ends %s %s at %s (%s)', (where, date, end) => {
    const instant = endOfLocalDay(date, where)
    expect(instant.toISOString()).toBe(end)
    expect(localDate(instant, where)).toBe(date)
    expect(localDate(new Date(instant.getTime() + 1), where)).not.toBe(date)
  })

  it.each([
    ['2026-01-01', false, "New Year's Day"],
    ['2026-04-03', true, 'Good Friday is not a public holiday in the Netherlands'],
    ['2026-04-05', false, 'Easter Sunday'],
    ['2026-04-06', false, 'Easter Monday'],
    ['2026-04-27', false, "King's Day"],
    ['2026-05-05', true, 'Liberation Day is not of type public in date-holidays'],
    ['2026-05-14', false, 'Ascension Day'],
    ['2026-05-25', false, 'Whit Monday'],
    ['2026-12-24', true, 'Christmas Eve'],
    ['2026-12-25', false, 'Christmas Day'],
    ['2026-12-26', false, 'Boxing Day on a Saturday'],
    ['2026-12-31', true, "New Year's Eve"],
    ['2026-03-07', false, 'a Saturday'],
    ['2026-03-08', false, 'a Sunday'],
    ['2026-03-09', true, 'a Monday'],
  ])('in the Netherlands %s is a working day: %s (%s)', (date, working) => {
    expect(isWorkingDay(date, 'NL')).toBe(working)
  })

  it('counts every day of a public holiday that lasts several days, also into the next year', () => {
    // Armenia: New Year lasts two days (1–2 Jan), the pre-Christmas holidays three (3–5 Jan).
    expect(['2026-01-02', '2026-01-05', '2026-01-07'].map((date) => isWorkingDay(date, 'AM'))).toEqual([
      false,
      false,
      true,
    ])
    // Eswatini: date-holidays lists Incwala as six days from 28 December 2024, so into 2 January 2025.
    expect(isWorkingDay('2025-01-02', 'SZ')).toBe(false)
    expect(isWorkingDay('2025-01-03', 'SZ')).toBe(true)
  })

  it('moves to the next working day only when the day is not one', () => {
    expect(nextWorkingDay('2026-12-25', 'NL')).toBe('2026-12-28')
    expect(nextWorkingDay('2026-12-28', 'NL')).toBe('2026-12-28')
    expect(nextWorkingDay('2026-04-25', 'NL')).toBe('2026-04-28')
  })

  it.each([
    ['2026-05-15', 1, '2026-05-13', 'Ascension Day does not count'],
    ['2026-04-28', 1, '2026-04-24', "King's Day and the weekend do not count"],
    ['2026-04-28', 3, '2026-04-22', 'three working days, four weekdays'],
    ['2026-05-02', 0, '2026-05-01', 'a Saturday moves back to Friday'],
    ['2026-05-02', 1, '2026-05-01', 'Friday is one working day before Saturday'],
    ['2026-05-04', 1, '2026-05-01', 'and one before Monday'],
    ['2026-05-04', 0, '2026-05-04', 'a working day stays'],
  ])('counts back from %s by %i working days to %s (%s)', (date, n, expected) => {
    expect(workingDaysBefore(date, n, 'NL')).toBe(expected)
  })

  it.each([
    ['2026-05-13', 1, '2026-05-15', 'Ascension Day does not count'],
    ['2026-12-24', 1, '2026-12-28', 'Christmas and the weekend do not count'],
    ['2026-05-02', 1, '2026-05-04', 'the day counted from is not counted (Art. 3(1))'],
    ['2026-05-01', 1, '2026-05-04', 'Friday to Monday'],
    ['2026-05-02', 0, '2026-05-04', 'a Saturday moves on to Monday'],
    ['2026-05-04', 0, '2026-05-04', 'a working day stays'],
    ['2026-05-04', -1, '2026-05-01', 'a negative count goes back'],
  ])('counts on from %s by %i working days to %s (%s)', (date, n, expected) => {
    expect(addWorkingDays(date, n, 'NL')).toBe(expected)
  })

  it.each([
    ['2026-01-31', 1, '2026-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2000-01-30', 1, '2000-02-29'],
    ['2100-01-29', 1, '2100-02-28'],
    ['2026-03-31', 1, '2026-04-30'],
    ['2026-05-31', 1, '2026-06-30'],
    ['2026-04-30', 1, '2026-05-30'],
    ['2026-12-15', 1, '2027-01-15'],
    ['2026-01-31', 3, '2026-04-30'],
    ['2026-11-30', 3, '2027-02-28'],
    ['2026-03-31', -1, '2026-02-28'],
    ['2026-01-15', -1, '2025-12-15'],
    ['2026-01-15', 0, '2026-01-15'],
  ])('moves %s by %i calendar months to %s', (date, months, expected) => {
    expect(addCalendarMonths(date, months)).toBe(expected)
  })

  it('rejects what is not a calendar date, an instant or a whole count', () => {
    for (const date of ['2026-02-29', '2026-13-01', '2026-2-1', '26-02-01', '2026-02-01T00:00:00Z', '']) {
      expect(() => addCalendarMonths(date, 1), date).toThrowError(RangeError)
      expect(() => isWorkingDay(date, 'NL'), date).toThrowError(RangeError)
    }
    expect(() => localDate(new Date('not a date'), 'NL')).toThrowError(RangeError)
    expect(() => oneMonthDeadline(new Date(Number.NaN), 'NL')).toThrowError(RangeError)
    expect(() => monthsDeadline(new Date('2026-01-05T09:00:00Z'), 0, 'NL')).toThrowError(RangeError)
    expect(() => monthsDeadline(new Date('2026-01-05T09:00:00Z'), 1.5, 'NL')).toThrowError(RangeError)
    expect(() => addCalendarMonths('2026-01-05', 0.5)).toThrowError(RangeError)
    expect(() => workingDaysBefore('2026-01-05', -1, 'NL')).toThrowError(RangeError)
    expect(() => addWorkingDays('2026-01-05', 2.5, 'NL')).toThrowError(RangeError)
  })
})

describe('deadline properties from 2000 to 2100 in NL, DE, BE, FR and GB', () => {
  it('agrees with Art. 3 worked out independently: same date a month on, then a working day', () => {
    fc.assert(
      fc.property(receipt, jurisdiction, (received, where) => {
        const clamped = sameDateLater(zoneDate(received, where), 1)
        expect(oneMonthDeadline(received, where).dueDate).toBe(firstWorkingOnOrAfter(clamped, where))
      }),
      { numRuns: 500 },
    )
  })

  it('never falls due on a Saturday, a Sunday or a public holiday', () => {
    fc.assert(
      fc.property(receipt, jurisdiction, (received, where) => {
        const { dueDate } = oneMonthDeadline(received, where)
        expect([0, 6]).not.toContain(weekday(dueDate))
        expect(isPublicHoliday(dueDate, where)).toBe(false)
      }),
      { numRuns: 1000 },
    )
  })

  it('never falls due before the same date one month later, and at most ten days after it', () => {
    fc.assert(
      fc.property(receipt, jurisdiction, (received, where) => {
        const clamped = sameDateLater(zoneDate(received, where), 1)
        const { dueDate } = oneMonthDeadline(received, where)
        expect(daysBetween(clamped, dueDate)).toBeGreaterThanOrEqual(0)
        expect(daysBetween(clamped, dueDate)).toBeLessThanOrEqual(10)
        // Only days off lie between the two: the due date is the first working day.
        for (let day = clamped; day < dueDate; day = plusDays(day, 1))
          expect(isWorking(day, where)).toBe(false)
      }),
      { numRuns: 500 },
    )
  })

  it('clamps a receipt on the 29th, 30th or 31st to the last day of a shorter next month', () => {
    const endOfMonth = fc
      .record({ year, month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 29, max: 31 }) })
      .map(({ year, month, day }) => `${year}-${String(month).padStart(2, '0')}-${day}`)
      .filter((date) => !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) && plusDays(date, 0) === date)
    fc.assert(
      fc.property(endOfMonth, nearNoon, jurisdiction, (date, minutes, where) => {
        const [y, m, d] = date.split('-').map(Number) as [number, number, number]
        const nextMonthLength = new Date(Date.UTC(y, m + 1, 0)).getUTCDate()
        const nextMonth = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 8)
        const expected = `${nextMonth}${String(Math.min(d, nextMonthLength)).padStart(2, '0')}`
        const received = at(date, minutes)
        expect(localDate(received, where)).toBe(date)
        expect(addCalendarMonths(date, 1)).toBe(expected)
        if (d > nextMonthLength) expect(expected).toBe(plusDays(`${nextMonth}01`, nextMonthLength - 1))
        expect(oneMonthDeadline(received, where).dueDate).toBe(firstWorkingOnOrAfter(expected, where))
      }),
      { numRuns: 500 },
    )
  })

  it('reaches 29 February from 29, 30 or 31 January exactly in leap years', () => {
    fc.assert(
      fc.property(year, fc.integer({ min: 29, max: 31 }), nearNoon, jurisdiction, (y, d, minutes, where) => {
        const leap = new Date(Date.UTC(y, 1, 29)).getUTCMonth() === 1
        const clamped = addCalendarMonths(`${y}-01-${d}`, 1)
        expect(clamped).toBe(leap ? `${y}-02-29` : `${y}-02-28`)
        const { dueDate } = oneMonthDeadline(at(`${y}-01-${d}`, minutes), where)
        expect(dueDate).toBe(firstWorkingOnOrAfter(clamped, where))
        if (!leap) expect(dueDate).not.toBe(`${y}-02-29`)
      }),
      { numRuns: 500 },
    )
  })

  it('never gives a later receipt an earlier deadline', () => {
    fc.assert(
      fc.property(receipt, receipt, jurisdiction, (a, b, where) => {
        const [earlier, later] = a <= b ? [a, b] : [b, a]
        const first = oneMonthDeadline(earlier, where)
        const second = oneMonthDeadline(later, where)
        expect(first.dueDate <= second.dueDate).toBe(true)
        expect(first.dueAt.getTime()).toBeLessThanOrEqual(second.dueAt.getTime())
      }),
      { numRuns: 500 },
    )
  })

  it('never gives a receipt a day later an earlier deadline, even across month ends', () => {
    fc.assert(
      fc.property(receipt, fc.integer({ min: 1, max: 3 * DAY_MS }), jurisdiction, (received, ms, where) => {
        const later = new Date(received.getTime() + ms)
        expect(oneMonthDeadline(received, where).dueDate <= oneMonthDeadline(later, where).dueDate).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('ends at the last millisecond of the due date on the jurisdiction’s clock', () => {
    fc.assert(
      fc.property(receipt, jurisdiction, fc.constantFrom(1, 3), (received, where, months) => {
        const { dueDate, dueAt } = monthsDeadline(received, months, where)
        const next = new Date(dueAt.getTime() + 1)
        expect(localDate(dueAt, where)).toBe(dueDate)
        expect(localDate(next, where)).not.toBe(dueDate)
        expect(zoneDate(dueAt, where)).toBe(dueDate)
        expect(zoneDate(next, where)).toBe(plusDays(dueDate, 1))
        expect(dueAt.getUTCMilliseconds()).toBe(999)
      }),
      { numRuns: 500 },
    )
  })

  it('gives an extension to three months a later deadline than one month', () => {
    fc.assert(
      fc.property(receipt, jurisdiction, (received, where) => {
        const one = monthsDeadline(received, 1, where)
        const three = monthsDeadline(received, 3, where)
        expect(three.dueDate > one.dueDate).toBe(true)
        expect(three.dueAt.getTime()).toBeGreaterThan(one.dueAt.getTime())
        const clamped = sameDateLater(zoneDate(received, where), 3)
        expect(three.dueDate).toBe(firstWorkingOnOrAfter(clamped, where))
      }),
      { numRuns: 300 },
    )
  })
})

describe('working-day properties from 2000 to 2100', () => {
  const n = fc.integer({ min: 0, max: 40 })

  it('counts back to a working day with exactly n working days from it up to the date', () => {
    fc.assert(
      fc.property(calendarDate, n, jurisdiction, (date, count, where) => {
        const result = workingDaysBefore(date, count, where)
        expect(isWorking(result, where)).toBe(true)
        expect(result <= date).toBe(true)
        if (count === 0) expect(workingDaysIn(plusDays(result, 1), date, where)).toBe(0)
        else expect(workingDaysIn(result, plusDays(date, -1), where)).toBe(count)
      }),
      { numRuns: 500 },
    )
  })

  it('counts on to a working day with exactly n working days after the date up to it', () => {
    fc.assert(
      fc.property(calendarDate, n, jurisdiction, (date, count, where) => {
        const result = addWorkingDays(date, count, where)
        expect(isWorking(result, where)).toBe(true)
        expect(result >= date).toBe(true)
        if (count === 0) expect(workingDaysIn(date, plusDays(result, -1), where)).toBe(0)
        else expect(workingDaysIn(plusDays(date, 1), result, where)).toBe(count)
      }),
      { numRuns: 500 },
    )
  })

  it('comes back to a working day after counting n working days on and then n back', () => {
    fc.assert(
      fc.property(calendarDate, n, jurisdiction, (date, count, where) => {
        const start = nextWorkingDay(date, where)
        expect(start).toBe(firstWorkingOnOrAfter(date, where))
        expect(workingDaysBefore(addWorkingDays(start, count, where), count, where)).toBe(start)
      }),
      { numRuns: 500 },
    )
  })

  it('calls a day a working day exactly when it is neither a weekend day nor a public holiday', () => {
    fc.assert(
      fc.property(calendarDate, jurisdiction, (date, where) => {
        expect(isWorkingDay(date, where)).toBe(isWorking(date, where))
      }),
      { numRuns: 1000 },
    )
  })

  it('moves a date by calendar months to the same day, or the last day of a shorter month', () => {
    fc.assert(
      fc.property(calendarDate, fc.integer({ min: -36, max: 36 }), (date, months) => {
        expect(addCalendarMonths(date, months)).toBe(sameDateLater(date, months))
      }),
      { numRuns: 1000 },
    )
  })
})
