import Holidays from 'date-holidays'

const hd = new Holidays()
const tzs = new Map()
for (const c of Object.keys(hd.getCountries())) {
  const x = new Holidays(c)
  const tz = x.getTimezones()[0]
  if (tz) tzs.set(tz, c)
}
console.log(tzs.size)
// find forward transitions whose gap covers local 23:59:59.999 (wall date skipping)
for (const [tz, c] of tzs) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  })
  const wall = (t) => {
    const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]))
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute)
  }
  let prevOff = wall(Date.UTC(1970, 0, 1)) - Date.UTC(1970, 0, 1)
  for (let t = Date.UTC(1970, 0, 1); t < Date.UTC(2040, 0, 1); t += 3600e3) {
    const off = wall(t) - t
    if (off !== prevOff) {
      if (off > prevOff) {
        // binary search transition
        let lo = t - 3600e3,
          hi = t
        while (hi - lo > 60e3) {
          const m = Math.floor((lo + hi) / 2 / 60e3) * 60e3
          if (wall(m) - m === off) hi = m
          else lo = m
        }
        const before = hi - 60e3 + prevOff,
          after = hi + off
        if (Math.floor(before / 864e5) !== Math.floor(after / 864e5) && after % 864e5 !== 0)
          console.log(c, tz, new Date(before).toISOString(), '->', new Date(after).toISOString())
      }
      prevOff = off
    }
  }
}
