import path from 'node:path'
import { Bench } from './context'
import { writeLines } from './scratch'
import { alternate, timed } from './stats'
import { must } from './steps'

/** The retained topic keeps this share of the lines written: every append past it trims. */
const KEPT_SHARE = 4

/**
 * W1 with a retention limit: the same `cat file > topic` into a topic that keeps only a quarter
 * of the lines (so most appends trim the oldest messages) and into one without a limit, in
 * alternating rounds: the ratio is what trimming costs the write path.
 */
export async function w1Retained ({ sizes, a, scratch, table }: Bench): Promise<void> {
  const { lines, runs } = sizes
  const source = path.join(scratch.local, 'retained-lines')
  await writeLines(source, lines)
  const kept = Math.floor(lines / KEPT_SHARE)
  const messages = (ms: number): number => lines / (ms / 1000)
  let round = 0
  const [plain, retained] = await alternate(runs, [
    async () => messages(await timed(() => must(`cat ${source} > ${a.dir}/w1-plain-${round}`))),
    async () => {
      const topic = `${a.dir}/w1-retained-${round++}`
      await must(`touch ${topic} && setfattr -n user.dnpipes.retain-messages -v ${kept} ${topic}`)
      const rate = messages(await timed(() => must(`cat ${source} > ${topic}`)))
      const left = (await must(`wc -l < ${topic}`)).stdout.toString().trim()
      if (Number(left) !== kept) throw new Error(`the retained topic kept ${left} lines, not ${kept}`)
      return rate
    }
  ])
  await must(`rm -f ${a.dir}/w1-plain-* ${a.dir}/w1-retained-* ${source}`)
  table.record({
    id: 'W1',
    workload: `W1 into a topic keeping ${kept} messages (target >= 0.9x)`,
    unit: 'msg/s',
    fs: retained!,
    baselines: [{ name: 'W1 without a limit, same run', value: plain! }],
    higherIsBetter: true
  })
}
