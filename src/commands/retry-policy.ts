import { DEFAULTS, RetrySettings } from '../options'

/** The longest a Node timer waits (a longer one fires at once): a retry is held that long at most. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** When `dnpipes work` hands out again a job whose command failed, in ms from the failure. */
export interface RetryPolicy {
  /** After the failure of the job's first delivery. */
  delayMs: number
  /** Whether the delay doubles with each delivery. */
  backoff: boolean
  /** Where the doubling stops. */
  maxDelayMs: number
}

/**
 * The policy of the settings, checked: the delay defaults to the visibility timeout, as it was
 * before there was a retry delay; the cap to an hour, or the delay when that is longer.
 */
export function retryPolicyOf (settings: RetrySettings, visibilityMs: number): RetryPolicy {
  const { retryDelay, retryDelayMax } = settings
  for (const [flag, seconds] of [['--retry-delay', retryDelay], ['--retry-delay-max', retryDelayMax]] as const) {
    if (seconds !== undefined && !(seconds > 0 && Number.isFinite(seconds))) throw new RangeError(`${flag} must be a positive number of seconds, not ${seconds}`)
    if (seconds !== undefined && seconds * 1000 > MAX_TIMER_MS) throw new RangeError(`${flag} must be ${Math.floor(MAX_TIMER_MS / 1000)} seconds (24 days) at most, not ${seconds}`)
  }
  const delayMs = retryDelay === undefined ? visibilityMs : Math.round(retryDelay * 1000)
  const maxDelayMs = retryDelayMax === undefined ? Math.max(DEFAULTS.retries.retryDelayMax * 1000, delayMs) : Math.round(retryDelayMax * 1000)
  if (maxDelayMs < delayMs) {
    const delay = retryDelay === undefined ? `the visibility timeout, ${delayMs / 1000} s` : `--retry-delay, ${retryDelay} s`
    throw new RangeError(`--retry-delay-max (${retryDelayMax} s) must not be shorter than the retry delay (${delay})`)
  }
  return { delayMs, backoff: settings.retryBackoff, maxDelayMs }
}

/**
 * How long after the failure of its `deliveries`th delivery a job comes back: the delay, doubled
 * for each delivery before this one with backoff, and never more than the cap.
 */
export function retryDelayMs (policy: RetryPolicy, deliveries: number): number {
  if (!(Number.isInteger(deliveries) && deliveries >= 1)) throw new RangeError(`a delivery count is 1 or more, not ${deliveries}`)
  // 2 ** 1023 is past any cap of a delay of 1 ms or more; 2 ** 1024 is Infinity, and 0 × Infinity NaN.
  const doubled = policy.backoff ? policy.delayMs * 2 ** Math.min(deliveries - 1, 1023) : policy.delayMs
  return Math.min(doubled, policy.maxDelayMs)
}
