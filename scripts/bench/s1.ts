import { BigTopic } from './big-topic'
import { Bench } from './context'
import { repeat, timed } from './stats'
import { must } from './steps'

/** S1: the size of a large topic, from a mount that has not read it yet. */
export async function s1 ({ sizes, scratch, table }: Bench, big: BigTopic): Promise<void> {
  const fsTime = await repeat(sizes.runs, async () => await timed(() => must(`stat -c %s ${big.topic}`)))
  const local = await repeat(sizes.runs, async () => await timed(() => must(`stat -c %s ${big.localCopy}`)))
  table.record({ id: 'S1', workload: `stat of a ${big.messages}-message topic from a fresh mount (incl. process start)`, unit: 'ms', fs: fsTime, baselines: [{ name: `stat of a ${scratch.localName}`, value: local }], higherIsBetter: false })
}
