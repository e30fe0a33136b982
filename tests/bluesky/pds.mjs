// A real Bluesky PDS and PLC directory for the tests (@atproto/dev-env's TestNetworkNoAppView).
// Prints one JSON line {"url", "handle", "password", "did", "started_ms"} once an account exists, then runs until
// its stdin closes or it gets SIGTERM (the pytest fixture that started it does either), and closes the network.
import { TestNetworkNoAppView } from '@atproto/dev-env'

const started = Date.now()
const network = await TestNetworkNoAppView.create({})
const agent = network.pds.getAgent()
const handle = 'writer.test'
const password = 'app-pass-' + Math.random().toString(36).slice(2, 10)
const account = await agent.createAccount({ email: 'writer@example.com', handle, password })
const url = network.pds.url.replace('localhost', '127.0.0.1')
process.stdout.write(JSON.stringify({ url, handle, password, did: account.data.did, started_ms: Date.now() - started }) + '\n')

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
