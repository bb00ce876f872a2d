import { describe, expect, it } from 'vitest'
import { createLimiter, LimiterFullError } from '../../src/lib/limiter'

/** A task the test finishes when it chooses. */
function held<T>() {
  let finish!: (value: T) => void
  let fail!: (error: Error) => void
  const promise = new Promise<T>((resolve, reject) => {
    finish = resolve
    fail = reject
  })
  return { task: () => promise, finish, fail }
}

describe('the limiter', () => {
  it('runs at most its concurrency, queues in order up to its bound, and refuses beyond it', async () => {
    const limiter = createLimiter({ concurrency: 1, queue: 2 })
    const first = held<string>()
    const started: string[] = []
    const run = (name: string, task: () => Promise<string>) =>
      limiter.run(() => {
        started.push(name)
        return task()
      })
    const a = run('a', first.task)
    const b = run('b', async () => 'b')
    const c = run('c', async () => 'c')
    await expect(run('d', async () => 'd')).rejects.toBeInstanceOf(LimiterFullError)
    expect({ running: limiter.running, waiting: limiter.waiting, started }).toEqual({
      running: 1,
      waiting: 2,
      started: ['a'],
    })
    first.finish('a')
    expect(await Promise.all([a, b, c])).toEqual(['a', 'b', 'c'])
    expect(started).toEqual(['a', 'b', 'c'])
    expect({ running: limiter.running, waiting: limiter.waiting }).toEqual({ running: 0, waiting: 0 })
  })

  it('frees the slot of a task that fails', async () => {
    const limiter = createLimiter({ concurrency: 1, queue: 0 })
    const failing = held<never>()
    const first = limiter.run(failing.task)
    await expect(limiter.run(async () => 'refused')).rejects.toBeInstanceOf(LimiterFullError)
    failing.fail(new Error('database unavailable'))
    await expect(first).rejects.toThrowError('database unavailable')
    expect(await limiter.run(async () => 'next')).toBe('next')
  })
})
