// A separate process appending to the audit chain: `node --import tsx audit-appender.ts <location JSON> <count>
// <actor>`. It prints "ready" once its store is open and starts appending when a line arrives on stdin, so
// the test can start every writer at the same moment.
import { once } from 'node:events';
import { AuditLog } from '../../src/governance/index.js';
import { openKysely, type DatabaseLocation } from '../../src/store/dialect.js';

const [locationJson, countText, actor] = process.argv.slice(2);
const db = openKysely(JSON.parse(locationJson!) as DatabaseLocation);
try {
  const log = new AuditLog(db);
  await log.head(); // connects
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  for (let i = 0; i < Number(countText); i += 1) {
    await log.append({ actor: actor!, action: 'test.append', target: { type: 'process', id: `${actor}-${i}` } });
  }
} finally {
  await db.destroy();
}
process.exit(0);
