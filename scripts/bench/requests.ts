import { Bench } from './context'
import { alternate, timed, timedUncached } from './stats'
import { dropHeldStats, must } from './steps'

/**
 * Request-bound work against the physical floor, a filesystem in C on libfuse 3 answering from
 * memory (c-floor.ts), and the null filesystem (the same FUSE layer answering from memory):
 * S3, `stat` of every topic of a large directory from one process; W4, many pushes
 * (`echo x >> t`) from one shell, where each is an open, a write and a close, beside the same
 * number of appends through ioredis awaited one by one: the Redis round trips a push cannot do
 * without, which alone may take more than W4's target.
 */
export async function requests ({ sizes, server, redis, a, floor, cFloor, table }: Bench): Promise<void> {
  const { directoryTopics, pushes, runs } = sizes
  const dirs = [a.dir, cFloor.dir, floor.dir]
  for (const dir of dirs) await must(`mkdir -p ${dir}/s3 && cd ${dir}/s3 && seq 1 ${directoryTopics} | xargs touch`)
  const statAll = (dir: string) => async () => await timedUncached(() => must(`cd ${dir}/s3 && seq 1 ${directoryTopics} | xargs stat -c %s > /dev/null`))
  const cold = async (): Promise<number> => { await dropHeldStats(server); return await statAll(a.dir)() }
  const [coldStat, coldC] = await alternate(runs, [cold, statAll(cFloor.dir)]) as [number, number]
  table.record({
    id: 'S3',
    workload: `stat -c %s of ${directoryTopics} topics from one process, nothing held before the run`,
    unit: 'ms',
    fs: coldStat,
    baselines: [{ name: 'C on libfuse 3, from memory', value: coldC }],
    higherIsBetter: false
  })
  const [fsStat, cStat, nullStat] = await alternate(runs, dirs.map(statAll)) as [number, number, number]
  table.record({
    id: 'S3',
    workload: `stat -c %s of ${directoryTopics} topics from one process, stats held (target <= 1.5x C)`,
    unit: 'ms',
    fs: fsStat,
    baselines: [{ name: 'C on libfuse 3, from memory', value: cStat }, { name: 'null FUSE filesystem, same layer', value: nullStat }],
    higherIsBetter: false
  })

  const pushLoop = (dir: string) => async (run: number) => await timed(() => must(`cd ${dir} && i=0; while [ $i -lt ${pushes} ]; do echo x >> w4-${run}; i=$((i+1)); done`))
  const awaitedAppends = async (): Promise<number> => await timed(async () => {
    for (let i = 0; i < pushes; i++) await redis.xadd('bench:w4', '*', 'data', 'x')
  })
  let round = 0
  const [fsPush, cPush, nullPush, redisPush] = await alternate(runs, [...dirs.map(dir => async () => await pushLoop(dir)(round++)), awaitedAppends]) as [number, number, number, number]
  await redis.del('bench:w4')
  table.record({
    id: 'W4',
    workload: `${pushes} x echo x >> t from one shell (target <= 3x C)`,
    unit: 'ms',
    fs: fsPush,
    baselines: [
      { name: 'C on libfuse 3, from memory', value: cPush },
      { name: 'null FUSE filesystem, same layer', value: nullPush },
      { name: `${pushes} x ioredis XADD, each awaited`, value: redisPush }
    ],
    higherIsBetter: false
  })
}
