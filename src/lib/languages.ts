/** The languages of mail, candidate pages and the console: Dutch and English. */
export const languages = ['nl', 'en'] as const
export type Language = (typeof languages)[number]
