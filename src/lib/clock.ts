/** Time comes from here, never from `new Date()` in rules: tests move the clock instead of sleeping. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that stands still until told to move; for tests and dry runs. */
export class ManualClock implements Clock {
  #now: Date
  constructor(start: Date | string = '2026-01-05T09:00:00.000Z') {
    this.#now = new Date(start)
  }
  now(): Date {
    return new Date(this.#now)
  }
  set(to: Date | string): void {
    this.#now = new Date(to)
  }
  advance({
    days = 0,
    hours = 0,
    minutes = 0,
    seconds = 0,
  }: Partial<Record<'days' | 'hours' | 'minutes' | 'seconds', number>>): void {
    this.#now = new Date(this.#now.getTime() + (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000)
  }
}
