import { Bench } from './context'
import { MB_PER_MIB } from './sizes'

/** The memory target for a daemon, in MB. */
const RSS_TARGET_MB = 150

/** M1: the highest peak RSS of any daemon of the run; the last workload, while a and b still run. */
export async function m1 ({ a, b, rss, table }: Bench): Promise<void> {
  await rss.note(a, 'mount a')
  await rss.note(b, 'mount b')
  console.log(`M1 peaks: ${rss.named.join(', ')}`)
  table.record({ id: 'M1', workload: `peak RSS of any of the ${rss.peaks.length} mounts over the run, server and mount process (target <= ${RSS_TARGET_MB} MB)`, unit: 'MiB', fs: Math.max(...rss.peaks), baselines: [{ name: 'target', value: RSS_TARGET_MB / MB_PER_MIB }], higherIsBetter: false })
}
