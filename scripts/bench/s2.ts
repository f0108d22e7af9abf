import { Bench } from './context'
import { repeat, timed } from './stats'
import { must } from './steps'

/** S2: `ls -l` of a large directory of topics. */
export async function s2 ({ sizes, a, floor, scratch, table }: Bench): Promise<void> {
  const { directoryTopics, runs } = sizes
  const make = (dir: string) => must(`mkdir -p ${dir} && cd ${dir} && seq 1 ${directoryTopics} | xargs touch`)
  const list = (dir: string) => async () => await timed(() => must(`ls -l ${dir} > /dev/null`))
  for (const dir of [a.dir, floor.dir, scratch.local]) await make(`${dir}/s2`)
  const fsTime = await repeat(runs, list(`${a.dir}/s2`))
  const floorTime = await repeat(runs, list(`${floor.dir}/s2`))
  const local = await repeat(runs, list(`${scratch.local}/s2`))
  table.record({
    id: 'S2',
    workload: `ls -l of a directory of ${directoryTopics} topics (target <= 300 ms)`,
    unit: 'ms',
    fs: fsTime,
    baselines: [{ name: 'null FUSE filesystem, same binding', value: floorTime }, { name: `${scratch.localName} directory`, value: local }],
    higherIsBetter: false
  })
}
