import { Bench } from './context'
import { repeat, timed } from './stats'
import { must } from './steps'

/** W3: one process per push, as a script calling `echo x >> topic` in a loop starts one. */
export async function w3 ({ sizes, redis, a, floor, scratch, table }: Bench): Promise<void> {
  const { pushes, runs } = sizes
  const loop = (target: string): string => `i=0; while [ $i -lt ${pushes} ]; do sh -c 'echo x >> ${target}'; i=$((i+1)); done`
  const perPush = (target: (run: number) => string) => repeat(runs, async i => await timed(() => must(loop(target(i)))) / pushes)
  const fsTime = await perPush(i => `${a.dir}/w3-${i}`)
  const floorTime = await perPush(i => `${floor.dir}/w3-${i}`)
  const local = await perPush(i => `${scratch.local}/w3-${i}`)
  const direct = await repeat(runs, async i => await timed(async () => {
    for (let n = 0; n < pushes; n++) await redis.xadd(`bench:w3-${i}`, '*', 'data', 'x')
  }) / pushes)
  table.record({ id: 'W3', workload: `${pushes} x sh -c 'echo x >> topic', per push`, unit: 'ms', fs: fsTime, baselines: [{ name: scratch.localName, value: local }], higherIsBetter: false })
  table.record({
    id: 'W3',
    workload: 'added by the filesystem per push (over the tmpfs run; target <= 1 ms)',
    unit: 'ms',
    fs: fsTime - local,
    baselines: [
      { name: 'ioredis, one awaited XADD', value: direct },
      { name: 'null FUSE filesystem, same layer', value: floorTime - local }
    ],
    higherIsBetter: false
  })
}
