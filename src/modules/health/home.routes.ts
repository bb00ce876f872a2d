import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type Language, languages } from '../../lib/languages'
import { pageMessages, renderPage } from '../../lib/page'
import { htmlPage, problemSchema } from '../../lib/schemas'
import { publicRoute } from '../../plugins/access'

/** The home page's words; the frame (language switch, privacy contact) comes from templates/pages. */
const en = {
  title: 'Candor',
  heading: 'Candor: applicant tracking, GDPR first',
  intro:
    'Candor helps recruiters who source candidates for a client vacancy: each candidacy carries its legal basis, ' +
    'consent and notices, and every step is recorded in a ledger the data protection officer can check.',
  candidates:
    'Are you a candidate? There is nothing to do here: the links to give or withdraw consent, or to see ' +
    'or delete your data, arrive by e-mail.',
  linksHeading: 'For recruiters and developers',
  docs: 'API reference',
  docsNote: 'every endpoint, with examples you can try (OpenAPI 3 at /docs/json)',
  ready: 'Service status',
  readyNote: 'whether the database and the queue answer',
  devMail: 'Development mail',
  devMailNote: 'the mail this development server would have sent',
}

const copy: Record<Language, typeof en> = {
  en,
  nl: {
    title: 'Candor',
    heading: 'Candor: werving en selectie, AVG voorop',
    intro:
      'Candor helpt recruiters die kandidaten zoeken voor een vacature van een opdrachtgever: elke kandidatuur ' +
      'heeft haar grondslag, toestemming en kennisgevingen, en elke stap staat in een logboek dat de ' +
      'functionaris gegevensbescherming kan controleren.',
    candidates:
      'Bent u kandidaat? Hier hoeft u niets te doen: de links om toestemming te geven of in te trekken, of om ' +
      'uw gegevens in te zien of te laten verwijderen, ontvangt u per e-mail.',
    linksHeading: 'Voor recruiters en ontwikkelaars',
    docs: 'API-documentatie',
    docsNote: 'elk endpoint, met voorbeelden die u kunt uitproberen (OpenAPI 3 op /docs/json; in het Engels)',
    ready: 'Status van de dienst',
    readyNote: 'of de database en de wachtrij antwoorden',
    devMail: 'Ontwikkelmail',
    devMailNote: 'de mail die deze ontwikkelserver zou hebben verstuurd',
  },
}

/** `GET /`: what this service is, with the way to the API reference; English unless ?lang=nl. */
export const homeRoutes: FastifyPluginAsyncZod = async (app) => {
  // The same condition as the /dev/mail route (outreach.routes.ts): link it only where it exists.
  const devMail = app.mailer.transport === 'capture' && !app.config.isProduction

  app.get(
    '/',
    {
      config: publicRoute('home page: what this service is, links to the API reference'),
      schema: {
        tags: ['home'],
        summary: 'What Candor is, with links to the API reference and the readiness probe (HTML)',
        // An unknown language falls back to English rather than refusing the page.
        querystring: z.object({ lang: z.enum(languages).optional().catch(undefined) }),
        response: { 200: htmlPage('the home page'), 400: problemSchema },
      },
    },
    async (request, reply) => {
      const language = request.query.lang ?? 'en'
      const m = pageMessages(language)
      const t = copy[language]
      const page = renderPage(app.services.templates, app.config, {
        language,
        title: t.title,
        body: app.services.templates.html.render('pages/home', { t, devMail }),
        m,
        switchUrl: `/?lang=${m['lang.other']}`,
      })
      return reply.type('text/html; charset=utf-8').send(page)
    },
  )
}
