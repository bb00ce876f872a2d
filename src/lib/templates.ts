import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Eta } from 'eta'

export const templatesDir = fileURLToPath(new URL('../../templates', import.meta.url))

/**
 * Templates by lifecycle event under templates/. HTML is escaped by default (`<%= %>`); plain
 * text (mail bodies, consent texts) is not, because it is never read as HTML.
 */
export interface Templates {
  html: Eta
  text: Eta
}

export function createTemplates(root = templatesDir): Templates {
  return {
    html: new Eta({ views: root, autoEscape: true, cache: true, autoTrim: false }),
    text: new Eta({ views: root, autoEscape: false, cache: true, autoTrim: false }),
  }
}

export type Messages = Record<string, string>

/** A page's strings in one language, from templates/pages/messages.<lang>.json. */
export function loadMessages(language: string, root = templatesDir): Messages {
  return JSON.parse(readFileSync(`${root}/pages/messages.${language}.json`, 'utf8')) as Messages
}
