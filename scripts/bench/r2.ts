import { BigTopic } from './big-topic'
import { Bench } from './context'
import { repeat, timed } from './stats'
import { must } from './steps'

/** Bytes per random read: one page. */
const READ_BYTES = 4096
/** A prime, so that i * STRIDE mod n visits each of n offset slots once, out of order. */
const STRIDE = 7919
/** Bytes `tail -c` reads from the end. */
const TAIL_BYTES = 100

/** R2: reads in the middle and at the end of a large topic. */
export async function r2 ({ sizes, scratch, table }: Bench, big: BigTopic): Promise<void> {
  const { randomReads, runs } = sizes
  const offsets = Array.from({ length: randomReads }, (_, i) => Math.floor(((i * STRIDE) % randomReads) / randomReads * (big.bytes - READ_BYTES)))
  const reads = (file: string) => async () => {
    for (const offset of offsets) await must(`dd if=${file} bs=${READ_BYTES} skip=${offset} iflag=skip_bytes count=1 status=none > /dev/null`)
  }
  const fsDd = await repeat(runs, async () => await timed(reads(big.topic)) / randomReads)
  const localDd = await repeat(runs, async () => await timed(reads(big.localCopy)) / randomReads)
  table.record({ id: 'R2', workload: `dd skip= at ${randomReads} random offsets of a ${big.messages}-message topic, per read`, unit: 'ms', fs: fsDd, baselines: [{ name: scratch.localName, value: localDd }], higherIsBetter: false })
  const fsTail = await repeat(runs, async () => await timed(() => must(`tail -c ${TAIL_BYTES} ${big.topic} > /dev/null`)))
  const localTail = await repeat(runs, async () => await timed(() => must(`tail -c ${TAIL_BYTES} ${big.localCopy} > /dev/null`)))
  table.record({ id: 'R2', workload: `tail -c ${TAIL_BYTES} of a ${big.messages}-message topic`, unit: 'ms', fs: fsTail, baselines: [{ name: scratch.localName, value: localTail }], higherIsBetter: false })
}
