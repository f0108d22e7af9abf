import type { Woken } from './types'

/**
 * Delayed delivery as readers and writers see it: what a wait knows of a topic's scheduled
 * messages, a wait that ends when the next one is due, and delays as users write them.
 */

/** The longest delay taken: what SQS allows for a message timer is 15 minutes; a week covers every job queue's retries. */
export const MAX_DELAY_SECONDS = 7 * 24 * 3600

/**
 * Runs `wait` (a hub's wait on `signal`'s behalf) and ends it when `dueInMs` has passed, as
 * 'data': the scheduled message is then due, and the next read enters it. A millisecond more
 * than the due time, so that the read does not find it a millisecond early.
 */
export async function untilDue (dueInMs: number | undefined, signal: AbortSignal, wait: (signal: AbortSignal) => Promise<Woken>): Promise<Woken> {
  if (dueInMs === undefined) return await wait(signal)
  const waking = new AbortController()
  let due = false
  const timer = setTimeout(() => { due = true; waking.abort() }, dueInMs + 1)
  const onAbort = (): void => waking.abort()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    const reason = await wait(waking.signal)
    return reason === 'aborted' && due && !signal.aborted ? 'data' : reason
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * A delay in seconds as a user writes it (`.delay/0.5/`, `--delay 3`, the delay-seconds
 * attribute): a decimal number from 0 to MAX_DELAY_SECONDS; in ms, or undefined when it is not one.
 */
export function delayMsOf (text: string): number | undefined {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return undefined
  const seconds = Number(text)
  if (!(seconds <= MAX_DELAY_SECONDS)) return undefined
  return Math.round(seconds * 1000)
}
