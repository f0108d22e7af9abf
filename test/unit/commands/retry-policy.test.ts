import { Command } from 'commander'
import fc from 'fast-check'
import t from 'tap'
import { commanderOption } from '../../../src/commands/option-table'
import { retryDelayMs, RetryPolicy, retryPolicyOf } from '../../../src/commands/retry-policy'
import { WORK_OPTIONS } from '../../../src/commands/option-table'
import { secondsText } from '../../../src/commands/work'
import { DEFAULTS } from '../../../src/options'

t.test('without backoff, every failure waits the delay', async t => {
  const policy: RetryPolicy = { delayMs: 500, backoff: false, maxDelayMs: 3_600_000 }
  t.same([1, 2, 3, 10, 5000].map(n => retryDelayMs(policy, n)), [500, 500, 500, 500, 500])
})

t.test('with backoff, the delay doubles per delivery up to the cap', async t => {
  const policy: RetryPolicy = { delayMs: 300, backoff: true, maxDelayMs: 2000 }
  t.same([1, 2, 3, 4, 5, 1100].map(n => retryDelayMs(policy, n)), [300, 600, 1200, 2000, 2000, 2000])
  t.same([1, 2, 3].map(n => retryDelayMs({ delayMs: 250, backoff: true, maxDelayMs: 1000 }, n)), [250, 500, 1000], 'the cap itself is reached')
})

t.test('with backoff: min(delay × 2^(n−1), cap), never below the delay, never shrinking', async () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 1e8 }), fc.integer({ min: 1, max: 5000 }), (delayMs, extra, n) => {
    const policy: RetryPolicy = { delayMs, backoff: true, maxDelayMs: delayMs + extra }
    const delay = retryDelayMs(policy, n)
    const expected = delayMs === 0 ? 0 : Math.min(delayMs * 2 ** (n - 1), delayMs + extra)
    return delay === expected && delay >= delayMs && retryDelayMs(policy, n + 1) >= delay
  }), { numRuns: 500 })
})

t.test('a delivery count is 1 or more', async t => {
  for (const n of [0, -1, 1.5, Number.NaN]) t.throws(() => retryDelayMs({ delayMs: 1, backoff: true, maxDelayMs: 1 }, n), RangeError, String(n))
})

t.test('the policy of the settings: defaults, seconds to ms, checks', async t => {
  t.same(retryPolicyOf({ retryBackoff: false }, 30_000), { delayMs: 30_000, backoff: false, maxDelayMs: DEFAULTS.retries.retryDelayMax * 1000 }, 'the delay is the visibility timeout, the cap an hour')
  t.same(retryPolicyOf({ retryDelay: 0.5, retryBackoff: true }, 10_000), { delayMs: 500, backoff: true, maxDelayMs: 3_600_000 })
  t.same(retryPolicyOf({ retryDelay: 0.3, retryBackoff: true, retryDelayMax: 1.2 }, 10_000), { delayMs: 300, backoff: true, maxDelayMs: 1200 })
  t.same(retryPolicyOf({ retryDelay: 7200, retryBackoff: true }, 10_000), { delayMs: 7_200_000, backoff: true, maxDelayMs: 7_200_000 }, 'a delay past an hour is its own cap')
  t.same(retryPolicyOf({ retryBackoff: false }, 5_000_000), { delayMs: 5_000_000, backoff: false, maxDelayMs: 5_000_000 }, 'so is a visibility timeout past an hour')
  t.same(retryPolicyOf({ retryDelay: 2, retryBackoff: false, retryDelayMax: 2 }, 1000).maxDelayMs, 2000, 'a cap equal to the delay')
  t.throws(() => retryPolicyOf({ retryDelay: 5, retryBackoff: true, retryDelayMax: 2 }, 1000),
    new RangeError('--retry-delay-max (2 s) must not be shorter than the retry delay (--retry-delay, 5 s)'))
  t.throws(() => retryPolicyOf({ retryBackoff: true, retryDelayMax: 10 }, 30_000),
    new RangeError('--retry-delay-max (10 s) must not be shorter than the retry delay (the visibility timeout, 30 s)'))
  t.equal(retryPolicyOf({ retryBackoff: true, retryDelayMax: 2_147_483 }, 1000).maxDelayMs, 2_147_483_000, 'the longest a timer waits')
  t.throws(() => retryPolicyOf({ retryBackoff: true, retryDelayMax: 2_147_484 }, 1000), new RangeError('--retry-delay-max must be 2147483 seconds (24 days) at most, not 2147484'))
  t.throws(() => retryPolicyOf({ retryDelay: 1e300, retryBackoff: false }, 1000), new RangeError('--retry-delay must be 2147483 seconds (24 days) at most, not 1e+300'))
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => retryPolicyOf({ retryDelay: bad, retryBackoff: false }, 1000), { name: 'RangeError', message: `--retry-delay must be a positive number of seconds, not ${bad}` })
    t.throws(() => retryPolicyOf({ retryBackoff: false, retryDelayMax: bad }, 1000), { name: 'RangeError', message: `--retry-delay-max must be a positive number of seconds, not ${bad}` })
  }
})

/** Parses `args` with the options of `dnpipes work`; throws commander's error. */
function parse (args: string[]): Record<string, unknown> {
  const command = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
  for (const descriptor of WORK_OPTIONS) command.addOption(commanderOption(descriptor))
  return command.parse(args, { from: 'user' }).opts()
}

t.test('the flags of dnpipes work: fractions of seconds, a switch, no default delay', async t => {
  t.same(parse([]), { concurrency: 1, visibilityTimeout: 30, maxDeliveries: 5, retryBackoff: false }, 'no --retry-delay, no cap: the policy fills them in')
  t.same(parse(['--retry-delay', '0.5', '--retry-backoff', '--retry-delay-max', '120']), { concurrency: 1, visibilityTimeout: 30, maxDeliveries: 5, retryDelay: 0.5, retryBackoff: true, retryDelayMax: 120 })
  for (const flag of ['--retry-delay', '--retry-delay-max']) {
    for (const bad of ['0', '-1', 'soon', '', 'Infinity']) {
      t.throws(() => parse([flag, bad]), { code: 'commander.invalidArgument' }, `${flag} ${JSON.stringify(bad)}`)
    }
  }
})

t.test('the stderr line tells seconds', async t => {
  t.same([2000, 500, 1250, 50, 3_600_000, 0].map(secondsText), ['2.0 s', '0.5 s', '1.25 s', '0.05 s', '3600.0 s', '0.0 s'])
})
