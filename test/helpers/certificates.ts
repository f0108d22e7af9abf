import { promises as fs } from 'node:fs'
import path from 'node:path'
import { run } from '../../scripts/support/processes'

export interface Certificates {
  ca: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
}

async function openssl (cwd: string, ...args: string[]): Promise<void> {
  const result = await run('openssl', args, { cwd })
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`)
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made by openssl. */
export async function makeCertificates (dir: string): Promise<Certificates> {
  await fs.writeFile(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n')
  await openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=dnpipes test CA')
  for (const name of ['server', 'client']) {
    await openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=dnpipes test ${name}`)
    await openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2',
      ...(name === 'server' ? ['-extfile', 'server.ext'] : []))
  }
  const at = (file: string): string => path.join(dir, file)
  return { ca: at('ca.crt'), serverCert: at('server.crt'), serverKey: at('server.key'), clientCert: at('client.crt'), clientKey: at('client.key') }
}
