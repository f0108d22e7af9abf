import fc from 'fast-check'
import t from 'tap'
import { DEFAULTS, deriveSettings, groupPolicyOf, MOUNT_DEFAULTS, withDefaults } from '../../src/options'

t.test('the Redis command timeout is the op timeout, for any op timeout', async () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.nat(20), (opTimeout, waitReplicas) => {
    const derived = deriveSettings({ opTimeout, waitReplicas })
    return derived.redisCommandTimeoutMs === opTimeout && derived.opTimeoutMs === opTimeout
  }), { numRuns: 200 })
})

t.test('WAIT gives up before the operation does, and never waits 0 ms (forever)', async () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), opTimeout => {
    const { waitTimeoutMs, opTimeoutMs } = deriveSettings({ opTimeout, waitReplicas: 1 })
    return Number.isInteger(waitTimeoutMs) && waitTimeoutMs >= 1 && waitTimeoutMs <= DEFAULTS.redis.waitTimeoutMs &&
      // 1 ms cannot be undercut: WAIT 0 would wait forever.
      (waitTimeoutMs < opTimeoutMs || opTimeoutMs === 1)
  }), { numRuns: 200 })
})

t.test('derived values at known points', async t => {
  t.same(deriveSettings({ opTimeout: 5000, waitReplicas: 0 }), {
    redisCommandTimeoutMs: 5000, opTimeoutMs: 5000, waitTimeoutMs: DEFAULTS.redis.waitTimeoutMs, connectTimeoutMs: DEFAULTS.redis.connectTimeoutMs
  })
  t.equal(deriveSettings({ opTimeout: 1000, waitReplicas: 2 }).waitTimeoutMs, 900, '100 ms before the operation gives up')
  t.equal(deriveSettings({ opTimeout: 2100, waitReplicas: 2 }).waitTimeoutMs, 2000)
  t.equal(deriveSettings({ opTimeout: 50, waitReplicas: 2 }).waitTimeoutMs, 1, 'a short op timeout still waits a little')
  t.equal(deriveSettings({ opTimeout: 1, waitReplicas: 0 }).redisCommandTimeoutMs, 1)
  t.equal(deriveSettings(MOUNT_DEFAULTS).redisCommandTimeoutMs, DEFAULTS.redis.opTimeout, 'the defaults derive')
})

t.test('bad settings are a RangeError', async t => {
  for (const opTimeout of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => deriveSettings({ opTimeout, waitReplicas: 0 }), RangeError, `op timeout ${opTimeout}`)
  }
  t.throws(() => deriveSettings({ opTimeout: '5000' as unknown as number, waitReplicas: 0 }), RangeError, 'a string is not a number')
  for (const waitReplicas of [-1, 0.5, Number.NaN]) {
    t.throws(() => deriveSettings({ opTimeout: 5000, waitReplicas }), RangeError, `wait replicas ${waitReplicas}`)
  }
  t.throws(() => deriveSettings({ opTimeout: 0, waitReplicas: 0 }), { message: /op timeout/ })
  t.throws(() => deriveSettings({ opTimeout: 10, waitReplicas: -2 }), { message: /replicas/ })
})

t.test('the mount defaults come from DEFAULTS', async t => {
  t.same(MOUNT_DEFAULTS, {
    prefix: DEFAULTS.keys.prefix,
    framing: DEFAULTS.files.framing,
    otrunc: DEFAULTS.files.otrunc,
    allowOther: DEFAULTS.files.allowOther,
    readOnly: DEFAULTS.files.readOnly,
    umask: DEFAULTS.files.umask,
    opTimeout: DEFAULTS.redis.opTimeout,
    waitReplicas: DEFAULTS.redis.waitReplicas,
    visibilityTimeout: DEFAULTS.groups.visibilityTimeout,
    maxDeliveries: DEFAULTS.groups.maxDeliveries,
    debug: DEFAULTS.logging.debug
  })
})

t.test('groupPolicyOf: seconds to ms, and the limits checked', async t => {
  t.same(groupPolicyOf({ visibilityTimeout: 30, maxDeliveries: 5 }), { visibilityMs: 30_000, maxDeliveries: 5 })
  t.same(groupPolicyOf({ visibilityTimeout: 0.25, maxDeliveries: 1 }), { visibilityMs: 250, maxDeliveries: 1 })
  t.throws(() => groupPolicyOf({ visibilityTimeout: 0, maxDeliveries: 5 }), { message: /visibility/ })
  t.throws(() => groupPolicyOf({ visibilityTimeout: Infinity, maxDeliveries: 5 }), { message: /visibility/ })
  t.throws(() => groupPolicyOf({ visibilityTimeout: 1, maxDeliveries: 0 }), { message: /deliveries/ })
  t.throws(() => groupPolicyOf({ visibilityTimeout: 1, maxDeliveries: 1.5 }), { message: /deliveries/ })
})

t.test('withDefaults takes the defined fields of given, and keeps every other default', async t => {
  const defaults = { a: 1, b: 'x', c: false, d: 0 }
  t.same(withDefaults(defaults, {}), defaults)
  t.same(withDefaults(defaults, { a: undefined, b: 'y' }), { a: 1, b: 'y', c: false, d: 0 }, 'undefined is absent')
  t.same(withDefaults(defaults, { c: false, d: 0, b: '' }), { a: 1, b: '', c: false, d: 0 }, 'falsy values are values')
  t.same(withDefaults(defaults, { c: true, d: 7 }), { a: 1, b: 'x', c: true, d: 7 })
  const result = withDefaults(defaults, { a: 2 })
  t.not(result, defaults, 'a new object')
  t.same(defaults, { a: 1, b: 'x', c: false, d: 0 }, 'the defaults are not changed')
})
