import type { FastifyReply } from 'fastify'
import type { Config } from '../config'
import { loadMessages, type Messages, type Templates } from './templates'

/** The frame of every candidate page: language, title, a language switch, who we are. */
export function renderPage(
  templates: Templates,
  config: Pick<Config, 'CONTROLLER_NAME' | 'CONTROLLER_CONTACT'>,
  page: { language: string; title: string; body: string; m: Messages; switchUrl: string | null },
): string {
  return templates.html.render('pages/layout', {
    ...page,
    controllerName: config.CONTROLLER_NAME,
    controllerContact: config.CONTROLLER_CONTACT,
  })
}

const cache = new Map<string, Messages>()
/** A page's strings in one language (templates/pages/messages.<lang>.json), read once. */
export function pageMessages(language: string): Messages {
  let messages = cache.get(language)
  if (!messages) {
    messages = loadMessages(language)
    cache.set(language, messages)
  }
  return messages
}

/** A page saying one thing (`<key>.title`, `<key>.body`), naming nobody. */
export function messagePageHtml(
  templates: Templates,
  config: Pick<Config, 'CONTROLLER_NAME' | 'CONTROLLER_CONTACT'>,
  language: string,
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
