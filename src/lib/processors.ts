/** The processors Candor uses (PROCESSORS), as the records of processing and access answers name them. */
/** The EEA: transfers to anywhere else need safeguards (Chapter V GDPR). */
export const EEA = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO'.split(' '),
)

export interface Processor {
  name: string
  activity: string
  country: string
  safeguards: string
}

/** `name|activity|country|transfer safeguards`, separated by `;`. */
export function parseProcessors(spec: string): Processor[] {
  return spec
    .split(';')
    .map((entry) => entry.split('|').map((part) => part.trim()))
    .filter((parts) => parts[0])
    .map(([name = '', activity = '', country = '', safeguards = '']) => ({
      name,
      activity,
      country,
      safeguards,
    }))
}
