import http from 'node:http'
import t from 'tap'
import { Metrics, parseListen } from '../../../src/mount/metrics'

t.test('parseListen: PORT or HOST:PORT, loopback unless a host is given', async t => {
  t.same(parseListen('9464'), { host: '127.0.0.1', port: 9464 })
  t.same(parseListen('0'), { host: '127.0.0.1', port: 0 })
  t.same(parseListen('65535'), { host: '127.0.0.1', port: 65535 })
  t.same(parseListen('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 })
  t.same(parseListen('localhost:1'), { host: 'localhost', port: 1 })
  t.same(parseListen('::1:9464'), { host: '::1', port: 9464 }, 'the last colon separates the port')
  for (const bad of ['', 'abc', '65536', '-1', ':9464', '9464:', 'host:', 'host:port', '94 64', '1.5']) {
    t.throws(() => parseListen(bad), { message: `expected PORT or HOST:PORT, got "${bad}"` }, JSON.stringify(bad))
  }
})

/** GET (or another method) on the metrics server: status, content type and body. */
function request (port: number, path: string, method = 'GET'): Promise<{ status: number, type: string | undefined, body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, response => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', chunk => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }))
    })
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error('no answer')))
    req.end()
  })
}

t.test('Metrics serves /metrics over HTTP on port 0', async t => {
  let blocked = 3
  let status = 'ready'
  const metrics = new Metrics({ blockedFollowers: () => blocked, redisStatus: () => status })
  const { server, port } = await metrics.serve('127.0.0.1', 0)
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  t.ok(port > 0, `bound port ${port}`)
  t.equal((server.address() as { port: number }).port, port)

  metrics.operations.inc({ op: 'read' }, 2)
  metrics.errors.inc({ op: 'write', errno: 'EIO' })
  metrics.bytesWritten.inc(42)
  metrics.duration.observe({ op: 'read' }, 0.003)
  const first = await request(port, '/metrics')
  t.equal(first.status, 200)
  t.match(first.type, /^text\/plain; version=0\.0\.4/)
  t.match(first.body, /^dnpipes_operations_total\{op="read"\} 2$/m)
  t.match(first.body, /^dnpipes_errors_total\{op="write",errno="EIO"\} 1$/m)
  t.match(first.body, /^dnpipes_bytes_written_total 42$/m)
  t.match(first.body, /^dnpipes_operation_duration_seconds_bucket\{le="0\.005",op="read"\} 1$/m)
  t.match(first.body, /^dnpipes_blocked_followers 3$/m)
  t.match(first.body, /^dnpipes_redis_connected 1$/m)
  t.match(first.body, /^dnpipes_process_\w*resident_memory_bytes \d+$/m, 'the process metrics, prefixed')
  for (const name of ['dnpipes_bytes_read_total', 'dnpipes_messages_pushed_total', 'dnpipes_messages_read_total']) {
    t.match(first.body, new RegExp(`^# TYPE ${name} counter$`, 'm'), name)
  }

  blocked = 0
  status = 'reconnecting'
  const second = await request(port, '/metrics?fresh=1')
  t.equal(second.status, 200, 'a query string is allowed')
  t.match(second.body, /^dnpipes_blocked_followers 0$/m, 'gauges are read at each scrape')
  t.match(second.body, /^dnpipes_redis_connected 0$/m)

  t.equal((await request(port, '/')).status, 404)
  t.equal((await request(port, '/metrics/x')).status, 404)
  t.equal((await request(port, '/metrics', 'POST')).status, 404)
})

t.test('a port in use is refused', async t => {
  const first = new Metrics({ blockedFollowers: () => 0, redisStatus: () => 'ready' })
  const { server, port } = await first.serve('127.0.0.1', 0)
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  const second = new Metrics({ blockedFollowers: () => 0, redisStatus: () => 'ready' })
  await t.rejects(second.serve('127.0.0.1', port), { code: 'EADDRINUSE' })
})

// A bug, kept failing until src/mount/metrics.ts is fixed: `--metrics [::1]:9464` (the usual way
// to write an IPv6 host with a port, as parseHostList in src/redis/connect.ts reads it) keeps
// the brackets in the host, and listening on "[::1]" fails with ENOTFOUND.
t.test('an IPv6 host in brackets is the host without them', async t => {
  t.same(parseListen('[::1]:9464'), { host: '::1', port: 9464 })
})
