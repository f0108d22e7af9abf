import { sleep } from '../../util/deadline'
import { isTransientFailure } from '../errors'

/** While the engine cannot answer, a reader tries again after 100 ms, 200 ms, … at most 1 s apart. */
const RETRY_STEP_MS = 100
const MAX_RETRY_MS = 1000

/**
 * `attempt()` until it answers, however long the engine is down, restarting, frozen or failing
 * over (isTransientFailure); any other failure is thrown. `onWait` hears of the first failure of
 * a run. Gives `whenAborted` once `signal` aborts a wait.
 */
export async function outlastingOutages<T, A> (attempt: () => Promise<T>, signal: AbortSignal, whenAborted: A, onWait: (err: Error) => void): Promise<T | A> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt()
    } catch (err) {
      if (!isTransientFailure(err)) throw err
      if (tries === 0) onWait(err as Error)
      await sleep(Math.min(RETRY_STEP_MS * (tries + 1), MAX_RETRY_MS), signal)
      if (signal.aborted) return whenAborted
    }
  }
}
