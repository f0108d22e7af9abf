import http from 'node:http'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { RedisMemory } from '../redis/memory'

/**
 * Prometheus metrics of one mount (prom-client), served by `dnpipes mount --metrics`. Names
 * follow Prometheus conventions: counters end in _total, durations are in seconds.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly operations = new Counter({ name: 'dnpipes_operations_total', help: 'File operations answered, by operation', labelNames: ['op'], registers: [this.registry] })
  readonly errors = new Counter({ name: 'dnpipes_errors_total', help: 'File operations that failed, by operation and errno', labelNames: ['op', 'errno'], registers: [this.registry] })
  readonly duration = new Histogram({
    name: 'dnpipes_operation_duration_seconds',
    help: 'Time to answer a file operation (followers\' blocking reads included)',
    labelNames: ['op'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry]
  })
  readonly bytesWritten = new Counter({ name: 'dnpipes_bytes_written_total', help: 'Bytes written to topics', registers: [this.registry] })
  readonly bytesRead = new Counter({ name: 'dnpipes_bytes_read_total', help: 'Bytes read from topics and views', registers: [this.registry] })
  readonly messagesPushed = new Counter({ name: 'dnpipes_messages_pushed_total', help: 'Messages appended to topics', registers: [this.registry] })
  readonly messagesRead = new Counter({ name: 'dnpipes_messages_read_total', help: 'Messages fetched for readers and followers', registers: [this.registry] })

  readonly groupDeliveries = new Counter({ name: 'dnpipes_group_deliveries_total', help: 'Messages handed to .group/ readers, redeliveries included, by group', labelNames: ['group'], registers: [this.registry] })
  readonly groupRedeliveries = new Counter({ name: 'dnpipes_group_redeliveries_total', help: 'Messages handed out again after their reader let them go unacknowledged, by group', labelNames: ['group'], registers: [this.registry] })
  readonly groupAcknowledged = new Counter({ name: 'dnpipes_group_acknowledged_total', help: 'Messages acknowledged by .group/ readers, by group', labelNames: ['group'], registers: [this.registry] })
  readonly groupDeadLetters = new Counter({ name: 'dnpipes_group_dead_letters_total', help: 'Messages moved to TOPIC.dead after too many deliveries, by group', labelNames: ['group'], registers: [this.registry] })

  /** What group readers report (GroupEvents of group-reader.ts), counted. */
  readonly groupEvents = {
    delivered: (group: string, delivery: { deliveries: number }): void => {
      this.groupDeliveries.inc({ group })
      if (delivery.deliveries > 1) this.groupRedeliveries.inc({ group })
    },
    acknowledged: (group: string): void => { this.groupAcknowledged.inc({ group }) },
    deadLettered: (group: string): void => { this.groupDeadLetters.inc({ group }) }
  }

  constructor (sources: { blockedFollowers: () => number, redisStatus: () => string, redisMemory?: () => Promise<RedisMemory | undefined> }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'dnpipes_process_' })
    new Gauge({ // eslint-disable-line no-new
      name: 'dnpipes_blocked_followers',
      help: 'Follower reads waiting for a message now',
      registers: [this.registry],
      collect () { this.set(sources.blockedFollowers()) }
    })
    new Gauge({ // eslint-disable-line no-new
      name: 'dnpipes_redis_connected',
      help: '1 while the connection to Redis is ready, else 0',
      registers: [this.registry],
      collect () { this.set(sources.redisStatus() === 'ready' ? 1 : 0) }
    })
    const memory = sources.redisMemory
    if (memory) {
      // A scrape while Redis is away leaves the last values: the connected gauge says why.
      const memoryGauge = (name: string, help: string, value: (memory: RedisMemory) => number): void => {
        new Gauge({ // eslint-disable-line no-new
          name,
          help,
          registers: [this.registry],
          async collect () {
            const now = await memory().catch(() => undefined)
            if (now) this.set(value(now))
          }
        })
      }
      memoryGauge('dnpipes_redis_memory_used_bytes', 'Redis used_memory (summed over a Cluster\'s masters)', now => now.usedBytes)
      memoryGauge('dnpipes_redis_memory_max_bytes', 'Redis maxmemory, or the machine\'s memory where there is none (summed over a Cluster\'s masters): the size df shows', now => now.sizeBytes)
    }
  }

  /** Serves GET /metrics on host:port; resolves with the address actually bound. */
  serve (host: string, port: number): Promise<{ server: http.Server, port: number }> {
    const server = http.createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end('try /metrics\n')
        return
      }
      this.registry.metrics().then(text => {
        response.writeHead(200, { 'Content-Type': this.registry.contentType }).end(text)
      }, err => response.writeHead(500).end(String(err)))
    })
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.unref()
        resolve({ server, port: (server.address() as { port: number }).port })
      })
    })
  }
}

/** "9464", "0.0.0.0:9464" or "[::1]:9464" (the host defaults to loopback: expose it deliberately). */
export function parseListen (value: string): { host: string, port: number } {
  const match = /^(?:(.+):)?(\d+)$/.exec(value)
  const port = Number(match?.[2])
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`expected PORT or HOST:PORT, got "${value}"`)
  // An IPv6 host comes in brackets, as in a URL; listen() wants it bare.
  return { host: match[1]?.replace(/^\[(.*)\]$/, '$1') ?? '127.0.0.1', port }
}
