/**
 * Which sent-message log the in-process WhatsApp MCP server writes: on Postgres, the table every process of
 * the deployment shares (a reply re-delivered by another worker after an interruption finds the first
 * attempt's claim or result instead of reaching the customer twice); otherwise the SQLite file in the data
 * directory (one process; both of its threads see each other's rows through WAL).
 */
import { join } from 'node:path';
import type { Config } from '../config.js';
import { ownedPool } from '../engine/storage-kit.js';
import { PostgresSentMessageLog, SqliteSentMessageLog, type SentMessageLog } from '../mcp/index.js';

export function openSentMessageLog(config: Config): SentMessageLog {
  if (config.storage.kind === 'postgres') {
    // Its own two connections: a send's claim and record never queue behind the turns' transactions. The
    // table comes with the service migrations, which ran when the stores opened (before any send).
    return new PostgresSentMessageLog({ pool: ownedPool(config.storage.databaseUrl, 2), table: `"public".${config.storage.tablePrefix}sent_messages`, ownsPool: true });
  }
  return new SqliteSentMessageLog(join(config.dataDir, 'mcp-whatsapp.sqlite'));
}
