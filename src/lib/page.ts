import type { FastifyReply } from 'fastify'
import type { Config } from '../config'
import { type Language, languages } from './languages'
import { loadMessages, type Messages, type Templates } from './templates'

/** The frame of every candidate page: language, title, a language switch, who we are. */
export function renderPage(
  templates: Templates,
  config: Pick<Config, 'CONTROLLER_NAME' | 'CONTROLLER_CONTACT'>,
  page: { language: Language; title: string; body: string; m: Messages; switchUrl: string | null },
): string {
  return templates.html.render('pages/layout', {
    ...page,
    controllerName: config.CONTROLLER_NAME,
    controllerContact: config.CONTROLLER_CONTACT,
  })
}

const cache = new Map<Language, Messages>()
/**
 * A page's strings in one language (templates/pages/messages.<lang>.json), read once. Only our own
 * languages name a file: a value from a request that slipped through is Dutch, never a path.
 */
export function pageMessages(language: Language): Messages {
  const known = languages.includes(language) ? language : 'nl'
  let messages = cache.get(known)
  if (!messages) {
    messages = loadMessages(known)
    cache.set(known, messages)
  }
  return messages
}

/** A page saying one thing (`<key>.title`, `<key>.body`), naming nobody. */
export function messagePageHtml(
  templates: Templates,
  config: Pick<Config, 'CONTROLLER_NAME' | 'CONTROLLER_CONTACT'>,
  language: Language,
  key: string,
  replacements: Record<string, string> = {},
): string {
  const m = pageMessages(language)
  const fill = (text = '') => text.replace(/\{(\w+)\}/g, (match, name: string) => replacements[name] ?? match)
  return renderPage(templates, config, {
    language,
    title: fill(m[`${key}.title`]),
    body: templates.html.render('pages/message', {
      heading: fill(m[`${key}.title`]),
      message: fill(m[`${key}.body`]),
    }),
    m,
    switchUrl: null,
  })
}

/** Sends a token page: never cached, and its URL (which holds the token) never leaks to another site. */
export function sendTokenPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(page)
}
