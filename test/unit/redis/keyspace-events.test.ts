import t from 'tap'
import { clusterNodeAddresses, missingEventFlags } from '../../../src/redis/keyspace-events'

t.test('missingEventFlags: K, g and t, with A standing for g and t but not for K', async t => {
  t.equal(missingEventFlags(''), 'Kgt')
  t.equal(missingEventFlags('gtK'), '', 'as Redis shows Kgt')
  t.equal(missingEventFlags('AK'), '')
  t.equal(missingEventFlags('A'), 'K', 'A is not K')
  t.equal(missingEventFlags('Ex'), 'Kgt', 'keyevent and expired events are other classes')
  t.equal(missingEventFlags('xtE'), 'Kg')
  t.equal(missingEventFlags('Kl'), 'gt')
})

t.test('clusterNodeAddresses: masters and replicas that are reachable, without their bus ports', async t => {
  const nodes = [
    '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,hostname4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
    '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002,hostname2 master - 0 1426238316232 2 connected 5461-10922',
    '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected 10923-16383',
    '6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 slave,fail 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 connected',
    'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460',
    'a1b2 :0@0 master,noaddr - 0 0 0 disconnected',
    ''
  ].join('\n')
  t.same(clusterNodeAddresses(nodes), ['127.0.0.1:30004', '127.0.0.1:30002', '127.0.0.1:30003', '127.0.0.1:30001'])
})
