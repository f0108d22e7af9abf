import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { CLI } from '../../scripts/support/mount'
import { bash, run } from '../../scripts/support/processes'
import { waitFor } from '../../scripts/support/redis-server'
import { mountFor, redisFor } from '../helpers/fixture'

// `dnpipes mount --root team/a`: a directory of the store at the top of a mount, beside a mount
// of the whole store on the same Redis (as a container's volume is beside the host's mount).

t.test('a mount of team/a shows team/a\'s topics at its top, with their views', async t => {
  const server = await redisFor(t)
  const whole = await mountFor(t, server)
  const rooted = await mountFor(t, server, { args: ['--root', 'team/a'] })
  await bash(`mkdir -p ${whole.dir}/team/b && echo elsewhere >> ${whole.dir}/team/b/other`)

  const pushed = await bash(`echo one >> ${rooted.dir}/jobs`)
  t.equal(pushed.code, 0, pushed.stderr)
  t.equal((await bash(`cat ${whole.dir}/team/a/jobs`)).stdout.toString(), 'one\n', 'the push is in team/a/jobs of the store')
  t.equal((await bash(`ls ${rooted.dir}`)).stdout.toString(), 'jobs\n', 'the top lists team/a only')
  t.equal((await bash(`ls -A ${rooted.dir}`)).stdout.toString(), '.delay\n.follow\n.group\n.live\njobs\n', 'with the views')

  // A change made through the whole store is current here, as on any other mount.
  await bash(`stat -c %s ${rooted.dir}/jobs`)
  await bash(`echo two >> ${whole.dir}/team/a/jobs`)
  await waitFor(async () => (await bash(`stat -c %s ${rooted.dir}/jobs`)).stdout.toString() === '8\n', 2000, 'the size after another mount\'s push')

  const follower = bash(`timeout 10 head -n 3 ${rooted.dir}/.follow/jobs`)
  await new Promise(resolve => setTimeout(resolve, 300))
  await bash(`echo three >> ${whole.dir}/team/a/jobs`)
  t.equal((await follower).stdout.toString(), 'one\ntwo\nthree\n', '.follow/jobs follows team/a/jobs')

  const worker = await bash(`timeout 10 head -n 1 ${rooted.dir}/.group/w/jobs`)
  t.equal(worker.stdout.toString(), 'one\n', '.group/w/jobs hands out team/a/jobs\'s messages')
  const next = await bash(`timeout 10 head -n 1 ${whole.dir}/.group/w/team/a/jobs`)
  t.equal(next.stdout.toString(), 'two\n', 'it is the group w of team/a/jobs: the whole store\'s mount is handed the next message')

  await bash(`mkdir ${rooted.dir}/sub && mv ${rooted.dir}/jobs ${rooted.dir}/sub/jobs`)
  t.equal((await bash(`cat ${whole.dir}/team/a/sub/jobs`)).stdout.toString(), 'one\ntwo\nthree\n', 'mkdir and rename within team/a')
  const key = (await bash(`getfattr --only-values -n user.dnpipes.key ${rooted.dir}/sub/jobs`)).stdout.toString()
  t.equal(key, (await bash(`getfattr --only-values -n user.dnpipes.key ${whole.dir}/team/a/sub/jobs`)).stdout.toString(), 'the same Redis key')
  t.equal((await bash(`cat ${whole.dir}/team/b/other`)).stdout.toString(), 'elsewhere\n', 'nothing outside team/a was touched')
})

t.test('the root is made when missing, and a root that cannot be one is refused with the reason', async t => {
  const server = await redisFor(t)
  const whole = await mountFor(t, server)
  await mountFor(t, server, { args: ['--root', '/made/here/'] })
  t.equal((await bash(`stat -c %F ${whole.dir}/made/here`)).stdout.toString(), 'directory\n', 'made as mkdir -p')

  await bash(`echo x >> ${whole.dir}/atopic`)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dnpipes-root-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const refused = async (args: string[]): Promise<string> => {
    const result = await run(process.execPath, [CLI, 'mount', dir, '--redis', server.url, ...args], { timeoutMs: 20_000 })
    t.not(result.code, 0, `${args.join(' ')}: exits with an error`)
    return result.stderr
  }
  t.match(await refused(['--root', 'a/../b']), /cannot serve --root a\/\.\.\/b: .*invalid path component/)
  t.match(await refused(['--root', '.follow']), /cannot serve --root \.follow: .*reserved/)
  t.match(await refused(['--root', 'atopic/below']), /cannot serve --root atopic\/below: atopic is a topic/)
  t.match(await refused(['--root', 'absent', '--read-only']), /cannot serve --root absent: /)
  t.equal((await bash(`ls ${whole.dir}`)).stdout.toString(), 'atopic\nmade\n', 'none of them made anything')
  t.not((await bash(`mountpoint -q ${dir}`)).code, 0, 'and nothing is mounted')
})
