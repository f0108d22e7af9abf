import { promises as fs } from 'node:fs'
import Redis from 'ioredis'
import { sleep } from '../../src/util/deadline'
import { Bench } from './context'
import { groupReaderOf } from './q2'
import { now, percentile } from './stats'
import { must } from './steps'

/** The delay of every push, in seconds as `.delay/` takes it. */
const DELAY_S = 0.2
const DELAY_MS = DELAY_S * 1000
/** Pushes start this far apart, so that several are scheduled at once, each due on its own. */
const SPACING_MS = 20
const GROUP = 'q3'

/**
 * Milliseconds each push arrived after its due time: `push` is called SPACING_MS apart (each
 * scheduling a message due DELAY_MS after it began), `arrival` tells when the reader got it.
 * The due time is counted from before the push, so a slow push counts as lateness too.
 */
async function lateness (samples: number, push: (payload: string) => Promise<unknown>, arrival: (payload: string) => Promise<number>): Promise<number[]> {
  const arrivals: Array<Promise<number>> = []
  for (let i = 0; i < samples; i++) {
    const payload = `d${i}`
    const arrived = arrival(payload)
    arrived.catch(() => undefined)
    const sent = now()
    await push(payload)
    arrivals.push(arrived.then(at => {
      // Redis keeps due times in whole milliseconds of its own clock: up to one early is exact.
      if (at < sent + DELAY_MS - 1) throw new Error(`Q3: ${payload} arrived ${sent + DELAY_MS - at} ms before its due time`)
      return at - sent - DELAY_MS
    }))
    await sleep(Math.max(0, SPACING_MS - (now() - sent)))
  }
  return await Promise.all(arrivals)
}

/** Pushes through `.delay/0.2/q3` on one mount to a reader of `.group/q3/q3` on another. */
async function throughMounts (pushFile: string, readFile: string, samples: number): Promise<number[]> {
  const { arrivals, stop } = groupReaderOf(readFile, 'Q3')
  try {
    // The reader is waiting before the first delayed push: it claims once and finds nothing.
    await sleep(500)
    return await lateness(samples, payload => fs.appendFile(pushFile, payload + '\n'), payload => arrivals.of(payload))
  } finally {
    stop()
  }
}

/** The floor: a timer in the pushing process, then XADD, to XREADGROUP BLOCK 0 on a dedicated connection. */
async function direct (redis: Redis, samples: number): Promise<number[]> {
  const stream = 'bench:q3'
  await redis.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM')
  const reader = redis.duplicate()
  const times = new Map<string, number>()
  const waiting = new Map<string, (at: number) => void>()
  let reading = true
  const loop = (async () => {
    type Reply = Array<[string, Array<[string, string[]]>]>
    while (reading) {
      const reply = await reader.xreadgroup('GROUP', GROUP, 'c', 'COUNT', 1, 'BLOCK', 100, 'STREAMS', stream, '>') as Reply | null
      const at = now()
      const entry = reply?.[0]?.[1][0]
      if (!entry) continue
      await reader.xack(stream, GROUP, entry[0])
      const payload = entry[1][1]!
      times.set(payload, at)
      waiting.get(payload)?.(at)
    }
  })()
  try {
    return await lateness(samples, async payload => { setTimeout(() => { void redis.xadd(stream, '*', 'data', payload) }, DELAY_MS) }, payload =>
      times.has(payload) ? Promise.resolve(times.get(payload)!) : new Promise(resolve => waiting.set(payload, resolve)))
  } finally {
    reading = false
    await loop
    reader.disconnect()
  }
}

/** Q3: how late a delayed message reaches a group reader waiting for it on another mount. */
export async function q3 ({ sizes, redis, a, b, table }: Bench): Promise<void> {
  const { delayedSamples: samples } = sizes
  await must(`touch ${a.dir}/q3`)
  const fsTimes = await throughMounts(`${a.dir}/.delay/${DELAY_S}/q3`, `${b.dir}/.group/${GROUP}/q3`, samples)
  const directTimes = await direct(redis, samples)
  for (const [p, name] of [[0.5, 'p50'], [0.99, 'p99']] as const) {
    table.record({
      id: 'Q3',
      workload: `${samples} pushes ${SPACING_MS} ms apart to .delay/${DELAY_S}/q3 on one mount, lateness past the due time at a reader blocked on .group/q3/q3 on another, ${name}`,
      unit: 'ms',
      fs: percentile(fsTimes, p),
      baselines: [{ name: `ioredis, setTimeout ${DELAY_MS} ms then XADD, to XREADGROUP BLOCK`, value: percentile(directTimes, p) }],
      higherIsBetter: false
    })
  }
}
