// A real Bluesky PDS and PLC directory for the tests (@atproto/dev-env's TestNetworkNoAppView).
// Prints one JSON line {"url", "handle", "password", "did", "jwt_secret", "started_ms"} once an account exists, then runs until
// its stdin closes or it gets SIGTERM (the pytest fixture that started it does either), and closes the network.
// With PDS_REQUEST_LOG set, the PDS appends one JSON line {"xrpc": method} to that file for every request as it
// arrives (before it is answered), so a test counts createSession and refreshSession calls on the server's side.
// "jwt_secret" is dev-env's fixed test signing secret (JWT_SECRET), for a test that mints an expired access token.
// Every server it starts listens on 127.0.0.1 only: dev-env's PDS and PLC call listen(port) with no host, which
// binds every interface, so a listen without a host is given 127.0.0.1 here (before any server starts).
import { appendFileSync } from 'node:fs'
import net from 'node:net'
import { JWT_SECRET, TestNetworkNoAppView } from '@atproto/dev-env'

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const [first] = args
  if (first !== null && typeof first === 'object' && 'port' in first && !first.host) {
    args[0] = { ...first, host: '127.0.0.1' }
  } else if ((typeof first === 'number' || /^\d+$/.test(String(first ?? ''))) && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1')
  } else if (first === undefined || typeof first === 'function') {
    args.unshift(0, '127.0.0.1')
  }
  return listen.apply(this, args)
}

const started = Date.now()
const network = await TestNetworkNoAppView.create({})
const agent = network.pds.getAgent()
const handle = 'writer.test'
const password = 'app-pass-' + Math.random().toString(36).slice(2, 10)
const account = await agent.createAccount({ email: 'writer@example.com', handle, password })
const requestLog = process.env.PDS_REQUEST_LOG
if (requestLog) {
  network.pds.server.server.prependListener('request', (req) => {
    const path = (req.url || '').split('?')[0]
    const xrpc = path.startsWith('/xrpc/') ? path.slice('/xrpc/'.length) : null
    appendFileSync(requestLog, JSON.stringify({ xrpc, path, method: req.method }) + '\n')
  })
}
const url = network.pds.url.replace('localhost', '127.0.0.1')
process.stdout.write(JSON.stringify({ url, handle, password, did: account.data.did, jwt_secret: JWT_SECRET, started_ms: Date.now() - started }) + '\n')

let closing = false
async function stop () {
  if (closing) return
  closing = true
  await network.close().catch(() => {})
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.resume()
