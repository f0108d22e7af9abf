import type Redis from 'ioredis'
import t from 'tap'
import { RedisServer, startRedis } from '../helpers/redis-server'
import { topicContract } from '../helpers/topic-contract'

// The topic layer's contract on a standalone redis-server.

let server: RedisServer
let client: Redis
t.before(async () => {
  server = await startRedis()
  client = server.client()
})
t.teardown(() => server.stop())

topicContract(t, {
  get client () { return client },
  cluster: false,
  commandStats: () => client.info('commandstats')
})
