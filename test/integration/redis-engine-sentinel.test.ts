import Redis from 'ioredis'
import t from 'tap'
import { parseHostList } from '../../src/redis/connect'
import { SentinelSetup, startSentinelSetup } from '../helpers/sentinel'
import { redisEngineContract } from '../helpers/redis-engine-contract'

// The topic layer's contract through Redis Sentinel (a master, a replica and a Sentinel).

let setup: SentinelSetup
let client: Redis
t.before(async () => {
  setup = await startSentinelSetup()
  client = new Redis({ sentinels: parseHostList(setup.sentinels, 26379), name: setup.name })
  client.on('error', () => undefined)
})
t.teardown(async () => {
  client.disconnect()
  await setup.stop()
})

redisEngineContract(t, {
  get client () { return client },
  cluster: false,
  commandStats: () => client.info('commandstats')
})
