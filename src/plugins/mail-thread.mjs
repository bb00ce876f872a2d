// The mail transport's own thread (see ./mailer.ts): nodemailer builds each MIME message and speaks
// SMTP here, on an event loop that nothing else keeps busy, so neither waits for the API and the
// queue's work, and that work does not wait for them. Plain JavaScript: a worker thread does not
// inherit the TypeScript loader of the process that starts it.
import { parentPort, workerData } from 'node:worker_threads'
import nodemailer from 'nodemailer'
import MailComposer from 'nodemailer/lib/mail-composer'

const transporter = nodemailer.createTransport(workerData.transport)
let inFlight = 0
let closing = false

// Closing waits for every mail already handed over to be sent and answered: one accepted while
// the pool closed must be reported as sent, or its retry would send it again.
const closeWhenDone = () => {
  if (!closing || inFlight > 0) return
  transporter.close()
  parentPort.close()
}

// The message is built whole before it is sent (nodemailer's own composer, as sendMail would),
// so it leaves in one write. Streamed, each MIME part was a write of its own, ten a mail: on a
// connection to a nearby server, a write costs more CPU than building the part.
const send = async (mail) => {
  const message = new MailComposer(mail).compile()
  const raw = await message.build()
  return transporter.sendMail({ envelope: message.getEnvelope(), messageId: message.messageId(), raw })
}

parentPort.on('message', (request) => {
  if (request.type === 'close') {
    closing = true
    closeWhenDone()
    return
  }
  inFlight++
  send(request.mail)
    .then(
      (info) => parentPort.postMessage({ id: request.id, messageId: String(info.messageId ?? '') }),
      // What decides a retry (the SMTP reply code, nodemailer's error code) crosses the thread;
      // the server's own words stay here, since they can name the recipient.
      (error) =>
        parentPort.postMessage({
          id: request.id,
          failure: { code: error?.code, responseCode: error?.responseCode, command: error?.command },
        }),
    )
    .finally(() => {
      inFlight--
      closeWhenDone()
    })
})
