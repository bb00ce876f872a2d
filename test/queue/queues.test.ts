import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createRedis } from '../../src/queue/connection'
import { addJobsTogether, createQueues } from '../../src/queue/queues'
import { deleteQueueKeys } from '../helpers/app'
import { testRedisUrl } from '../helpers/databases'

const prefix = `candor-test-queues-${randomBytes(4).toString('hex')}`
const connection = createRedis({ url: testRedisUrl() })
const queues = createQueues(connection, prefix)

afterAll(async () => {
  await Promise.all(Object.values(queues).map((queue) => queue.close()))
  connection.disconnect()
  await deleteQueueKeys(prefix)
})

describe('adding jobs together', () => {
  it('sends the jobs of one turn in one addBulk, and a later turn in its own; each lands once', async () => {
    const addBulk = vi.spyOn(queues.outreach, 'addBulk')
    const job = (id: string) => [{ name: 'send', data: { messageId: id }, opts: { jobId: id } }]
    await Promise.all([
      addJobsTogether(queues.outreach, job('first')),
      addJobsTogether(queues.outreach, job('second')),
      addJobsTogether(queues.outreach, job('first')),
    ])
    expect(addBulk).toHaveBeenCalledTimes(1)
    await addJobsTogether(queues.outreach, job('third'))
    expect(addBulk).toHaveBeenCalledTimes(2)
    // The job id is the message id: the repeated one is one job.
    const ids = (await queues.outreach.getJobs(['waiting'])).map((found) => found.id).sort()
    expect(ids).toEqual(['first', 'second', 'third'])
  })
})
