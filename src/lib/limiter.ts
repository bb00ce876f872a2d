/** Every slot is taken and the queue is full: the caller answers at once rather than wait without bound. */
export class LimiterFullError extends Error {
  override name = 'LimiterFullError'
}

export interface Limiter {
  /** Runs the task when a slot is free, waiting in a queue of bounded length; LimiterFullError when full. */
  run<T>(task: () => Promise<T>): Promise<T>
  readonly running: number
  readonly waiting: number
}

/** A counting semaphore with a bounded first-in, first-out queue. */
export function createLimiter({ concurrency, queue }: { concurrency: number; queue: number }): Limiter {
  let running = 0
  const waiting: Array<() => void> = []
  // A finished task hands its slot straight to the next in line, so none can jump the queue.
  const release = () => {
    const next = waiting.shift()
    if (next) next()
    else running--
  }
  return {
    get running() {
      return running
    },
    get waiting() {
      return waiting.length
    },
    async run(task) {
      if (running < concurrency) running++
      else if (waiting.length < queue) await new Promise<void>((resolve) => waiting.push(resolve))
      else throw new LimiterFullError(`${running} running and ${waiting.length} waiting`)
      try {
        return await task()
      } finally {
        release()
      }
    },
  }
}
