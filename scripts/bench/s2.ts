import { mount } from '../support/mount'
import { Bench } from './context'
import { mountCFloor } from './c-floor'
import { mountNullFilesystem } from './floor'
import { alternate, repeat, timedUncached } from './stats'
import { dropHeldStats, must } from './steps'

/**
 * S2: `ls -l` of a large directory of topics, against the filesystem in C on libfuse 3 and the
 * null filesystem, mounted with the same options; then again with --allow-other, where the
 * kernel checks every name's permissions (default_permissions) and so asks for the
 * directory's attributes too.
 */
export async function s2 ({ sizes, server, a, floor, cFloor, scratch, rss, table }: Bench): Promise<void> {
  const { directoryTopics, runs } = sizes
  const make = (dir: string) => must(`mkdir -p ${dir} && cd ${dir} && seq 1 ${directoryTopics} | xargs touch`)
  const list = (dir: string) => async () => await timedUncached(() => must(`ls -l ${dir} > /dev/null`))
  for (const dir of [a.dir, floor.dir, cFloor.dir, scratch.local]) await make(`${dir}/s2`)
  // Turn about, so that the ratio to the floor holds on a machine whose speed drifts.
  const [fsTime, cTime, floorTime] = await alternate(runs, [list(`${a.dir}/s2`), list(`${cFloor.dir}/s2`), list(`${floor.dir}/s2`)]) as [number, number, number]
  const local = await repeat(runs, list(`${scratch.local}/s2`))
  const cold = (dir: string) => async () => { await dropHeldStats(server); return await list(dir)() }
  const [coldTime, coldC] = await alternate(runs, [cold(`${a.dir}/s2`), list(`${cFloor.dir}/s2`)]) as [number, number]
  table.record({
    id: 'S2',
    workload: `ls -l of a directory of ${directoryTopics} topics, nothing held before the run (as after other hosts changed every topic)`,
    unit: 'ms',
    fs: coldTime,
    baselines: [{ name: 'C on libfuse 3, from memory', value: coldC }],
    higherIsBetter: false
  })
  table.record({
    id: 'S2',
    workload: `ls -l of a directory of ${directoryTopics} topics, stats held (target <= 1.3x C)`,
    unit: 'ms',
    fs: fsTime,
    baselines: [
      { name: 'C on libfuse 3, from memory', value: cTime },
      { name: 'null FUSE filesystem, same layer', value: floorTime },
      { name: `${scratch.localName} directory`, value: local }
    ],
    higherIsBetter: false
  })

  const shared = await mount(server.url, { args: ['--allow-other'] })
  const sharedFloor = await mountNullFilesystem(['--allow-other'])
  const sharedC = await mountCFloor(true)
  try {
    // The same topics (same Redis, same prefix) through a mount with --allow-other.
    await make(`${sharedFloor.dir}/s2`)
    await make(`${sharedC.dir}/s2`)
    const [sharedTime, sharedCTime, sharedFloorTime] = await alternate(runs, [list(`${shared.dir}/s2`), list(`${sharedC.dir}/s2`), list(`${sharedFloor.dir}/s2`)]) as [number, number, number]
    table.record({
      id: 'S2',
      workload: `the same with --allow-other (target <= 1.3x C with allow_other,default_permissions)`,
      unit: 'ms',
      fs: sharedTime,
      baselines: [
        { name: 'C on libfuse 3, same options', value: sharedCTime },
        { name: 'null FUSE filesystem, same layer and options', value: sharedFloorTime }
      ],
      higherIsBetter: false
    })
  } finally {
    await rss.stop(shared, 'the --allow-other mount')
    await sharedFloor.stop()
    await sharedC.stop()
  }
}
