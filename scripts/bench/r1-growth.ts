import { promises as fs } from 'node:fs'
import path from 'node:path'
import { Bench } from './context'
import { MB_PER_MIB } from './sizes'
import { median, timed } from './stats'
import { must } from './steps'

/** The large topic is this many copies of the small one. */
const GROWTH = 4
/** Bytes per line of the source, newline included: a power of two, so MiB divide evenly. */
const GROWTH_LINE_BYTES = 64

/**
 * Replays of `small` and `big` in pairs, `runs` of each: their median times, and the median of
 * each pair's ratio (so that a burst of load from another tenant lands on one pair rather than
 * on every large read).
 */
async function replayPairs (runs: number, small: string, big: string): Promise<{ small: number, big: number, growth: number }> {
  const smalls: number[] = []
  const bigs: number[] = []
  for (let i = 0; i < runs; i++) {
    smalls.push(await timed(() => must(`cat ${small} > /dev/null`)))
    bigs.push(await timed(() => must(`cat ${big} > /dev/null`)))
  }
  return { small: median(smalls), big: median(bigs), growth: median(bigs.map((b, i) => b / smalls[i]!)) }
}

/** R1 growth: whether replay time stays linear in the topic's size. */
export async function r1Growth ({ sizes, a, scratch, table }: Bench): Promise<void> {
  const { bigMiB, runs } = sizes
  const source = path.join(scratch.local, 'quarter')
  const quarterLines = bigMiB * 1024 * 1024 / GROWTH / GROWTH_LINE_BYTES
  const line = 'x'.repeat(GROWTH_LINE_BYTES - 1) + '\n'
  await fs.writeFile(source, line.repeat(quarterLines))
  await must(`cat ${source} > ${a.dir}/r1-small`)
  for (let i = 0; i < GROWTH; i++) await must(`cat ${source} >> ${a.dir}/r1-big`)
  await fs.rm(source)
  const { small, big, growth } = await replayPairs(runs, `${a.dir}/r1-small`, `${a.dir}/r1-big`)
  table.record({ id: 'R1', workload: `replay of a ${bigMiB} MiB topic`, unit: 'MB/s', fs: bigMiB * MB_PER_MIB / (big / 1000), baselines: [{ name: `replay of a ${bigMiB / GROWTH} MiB topic`, value: bigMiB / GROWTH * MB_PER_MIB / (small / 1000) }], higherIsBetter: true })
  table.record({ id: 'R1', workload: `growth: time for ${GROWTH}x the data over 1x (target <= 4.4)`, unit: 'x', fs: growth, baselines: [{ name: 'linear', value: GROWTH }], higherIsBetter: false })
}

/**
 * R1 growth on topics whose head has moved many times: each keeps a limit of rendered bytes (a
 * quarter of the large topic's size, and all of it) and was written past it, so that thousands
 * of appends trimmed it. Replay time must stay linear: the offset index follows the head.
 */
export async function r1GrowthTrimmed ({ sizes, a, scratch, table }: Bench): Promise<void> {
  const { bigMiB, runs } = sizes
  const quarterBytes = bigMiB * 1024 * 1024 / GROWTH
  const source = path.join(scratch.local, 'quarter')
  await fs.writeFile(source, ('y'.repeat(GROWTH_LINE_BYTES - 1) + '\n').repeat(quarterBytes / GROWTH_LINE_BYTES))
  const small = `${a.dir}/r1-trimmed-small`
  const big = `${a.dir}/r1-trimmed-big`
  await must(`touch ${small} ${big} && setfattr -n user.dnpipes.retain-bytes -v ${quarterBytes} ${small} && setfattr -n user.dnpipes.retain-bytes -v ${GROWTH * quarterBytes} ${big}`)
  // One quarter past each limit, in the 128 KiB writes of cat: every one of them trims.
  for (let i = 0; i < 2; i++) await must(`cat ${source} >> ${small}`)
  for (let i = 0; i < GROWTH + 1; i++) await must(`cat ${source} >> ${big}`)
  await fs.rm(source)
  const { growth } = await replayPairs(runs, small, big)
  const sizesNow = (await must(`stat -c %s ${small} ${big}`)).stdout.toString().trim().split('\n').map(Number)
  if (sizesNow[0] !== quarterBytes || sizesNow[1] !== GROWTH * quarterBytes) throw new Error(`trimmed topics of ${sizesNow.join(' and ')} bytes, not their limits`)
  await must(`rm ${small} ${big}`)
  const appendsPastLimit = Math.ceil(quarterBytes / (128 * 1024))
  table.record({ id: 'R1', workload: `growth on topics trimmed by ${appendsPastLimit} appends each: time for ${GROWTH}x the data over 1x (target <= 4.4)`, unit: 'x', fs: growth, baselines: [{ name: 'linear', value: GROWTH }], higherIsBetter: false })
}
