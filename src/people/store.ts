/**
 * Accounts, console sessions, per-user API tokens and the audit log, over SQLite or Postgres (SqlRunner).
 * Only digests of bearer secrets are stored (see secrets.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from './actor.js';
import { actorLabel } from './actor.js';
import type { SqlRow, SqlRunner } from './sql.js';
import { PeopleError } from './errors.js';
export { PeopleError };

export type Role = 'agent' | 'admin';

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** The agent's WhatsApp number (digits), where forwarded customer messages go once they claim. */
  phone?: string;
  disabledAt?: number;
  createdAt: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  /** `system`: what the service did by itself (closing an idle case). */
  actorKind: Actor['kind'] | 'system';
  actorUserId?: string;
  actorLabel: string;
  /** `sign_in`, `claim`, `reply`, `release`, `resolve`, `correction`, `rerun`, `retry`, … */
  action: string;
  /** The conversation it was done to (run ids, outbox ids go in `detail`). */
  conversationKey?: string;
  /** Small JSON detail (run ids, the corrected path); never message text. */
  detail?: Record<string, unknown>;
}

export const USERNAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;

const str = (value: unknown): string | undefined => (value === null || value === undefined ? undefined : String(value));
const num = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value));

function userFromRow(row: SqlRow): User {
  const phone = str(row.phone);
  const disabledAt = num(row.disabled_at);
  return {
    id: String(row.id),
    username: String(row.username),
    displayName: String(row.display_name),
    role: row.role === 'admin' ? 'admin' : 'agent',
    ...(phone ? { phone } : {}),
    ...(disabledAt !== undefined ? { disabledAt } : {}),
    createdAt: Number(row.created_at),
  };
}

export const actorOf = (user: User): Actor => ({ kind: 'user', userId: user.id, username: user.username, displayName: user.displayName, role: user.role });

export class PeopleStore {
  constructor(private readonly sql: SqlRunner, private readonly now: () => number = Date.now) {}

  close(): Promise<void> {
    return this.sql.close();
  }

  async addUser(input: { username: string; displayName: string; role: Role; phone?: string; passwordHash: string }): Promise<User> {
    if (!USERNAME.test(input.username)) {
      throw new PeopleError('INVALID_ACCOUNT', `Username "${input.username}" must be 2–32 lowercase letters, digits, ".", "_" or "-".`);
    }
    if (input.phone !== undefined && !/^\d{10,15}$/.test(input.phone)) {
      throw new PeopleError('INVALID_ACCOUNT', 'The phone must be 10–15 digits with the country code (e.g. 5511987654321).');
    }
    if (await this.findByUsername(input.username)) throw new PeopleError('USERNAME_TAKEN', `Username "${input.username}" already exists.`);
    const now = this.now();
    const id = randomUUID();
    await this.sql.run(
      'INSERT INTO {p}users (id, username, display_name, role, phone, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [id, input.username, input.displayName, input.role, input.phone, input.passwordHash, now, now],
    );
    return { id, username: input.username, displayName: input.displayName, role: input.role, ...(input.phone ? { phone: input.phone } : {}), createdAt: now };
  }

  async listUsers(): Promise<User[]> {
    return (await this.sql.all('SELECT * FROM {p}users ORDER BY username')).map(userFromRow);
  }

  async findByUsername(username: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const [row] = await this.sql.all('SELECT * FROM {p}users WHERE username = ?', [username]);
    return row && { user: userFromRow(row), passwordHash: String(row.password_hash) };
  }

  async getUser(id: string): Promise<User | undefined> {
    const [row] = await this.sql.all('SELECT * FROM {p}users WHERE id = ?', [id]);
    return row && userFromRow(row);
  }

  /** Disabling also ends the user's sessions and revokes their API tokens. */
  async disable(username: string): Promise<User> {
    const found = await this.requireUser(username);
    const now = this.now();
    await this.sql.run('UPDATE {p}users SET disabled_at = ?, updated_at = ? WHERE id = ?', [now, now, found.id]);
    await this.sql.run('DELETE FROM {p}console_sessions WHERE user_id = ?', [found.id]);
    await this.sql.run('UPDATE {p}api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [now, found.id]);
    return { ...found, disabledAt: now };
  }

  /** A new password signs the user out everywhere. */
  async setPassword(username: string, passwordHash: string): Promise<User> {
    const found = await this.requireUser(username);
    await this.sql.run('UPDATE {p}users SET password_hash = ?, updated_at = ? WHERE id = ?', [passwordHash, this.now(), found.id]);
    await this.sql.run('DELETE FROM {p}console_sessions WHERE user_id = ?', [found.id]);
    return found;
  }

  async createSession(session: { idHash: string; userId: string; csrfToken: string; expiresAt: number }): Promise<void> {
    await this.sql.run('INSERT INTO {p}console_sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      [session.idHash, session.userId, session.csrfToken, this.now(), session.expiresAt]);
  }

  /** The session's user, when the session exists, has not expired and the user is enabled. */
  async sessionUser(idHash: string): Promise<{ user: User; csrfToken: string; expiresAt: number } | undefined> {
    const [row] = await this.sql.all(
      'SELECT u.*, s.csrf_token AS s_csrf, s.expires_at AS s_expires FROM {p}console_sessions s JOIN {p}users u ON u.id = s.user_id ' +
        'WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL',
      [idHash, this.now()],
    );
    return row && { user: userFromRow(row), csrfToken: String(row.s_csrf), expiresAt: Number(row.s_expires) };
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.sql.run('DELETE FROM {p}console_sessions WHERE id_hash = ?', [idHash]);
  }

  /** Expired sessions are useless rows: each sign-in sweeps them. */
  async purgeExpiredSessions(): Promise<number> {
    return this.sql.run('DELETE FROM {p}console_sessions WHERE expires_at <= ?', [this.now()]);
  }

  async createApiToken(username: string, name: string, tokenHash: string): Promise<{ id: string; user: User }> {
    const user = await this.requireUser(username);
    const id = randomUUID();
    await this.sql.run('INSERT INTO {p}api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)', [id, user.id, name, tokenHash, this.now()]);
    return { id, user };
  }

  async userByApiToken(tokenHash: string): Promise<User | undefined> {
    const [row] = await this.sql.all(
      'SELECT u.*, t.id AS t_id FROM {p}api_tokens t JOIN {p}users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL',
      [tokenHash],
    );
    if (!row) return undefined;
    await this.sql.run('UPDATE {p}api_tokens SET last_used_at = ? WHERE id = ?', [this.now(), row.t_id]);
    return userFromRow(row);
  }

  async recordAudit(actor: Actor, action: string, about: { conversationKey?: string; detail?: Record<string, unknown> } = {}): Promise<void> {
    await this.sql.run(
      'INSERT INTO {p}audit_log (at, actor_kind, actor_id, actor_label, action, conversation_key, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [this.now(), actor.kind, actor.kind === 'user' ? actor.userId : undefined, actorLabel(actor), action, about.conversationKey, about.detail ? JSON.stringify(about.detail) : undefined],
    );
  }

  /** Newest first; `conversationKey` narrows to one conversation. */
  async listAudit(filter: { limit: number; offset?: number; conversationKey?: string }): Promise<AuditEntry[]> {
    const rows = filter.conversationKey
      ? await this.sql.all('SELECT * FROM {p}audit_log WHERE conversation_key = ? ORDER BY id DESC LIMIT ? OFFSET ?', [filter.conversationKey, filter.limit, filter.offset ?? 0])
      : await this.sql.all('SELECT * FROM {p}audit_log ORDER BY id DESC LIMIT ? OFFSET ?', [filter.limit, filter.offset ?? 0]);
    return rows.map((row) => {
      const userId = str(row.actor_id);
      const conversationKey = str(row.conversation_key);
      const detail = str(row.detail);
      return {
        id: Number(row.id),
        at: Number(row.at),
        actorKind: row.actor_kind === 'user' ? 'user' : row.actor_kind === 'system' ? 'system' : 'token',
        ...(userId ? { actorUserId: userId } : {}),
        actorLabel: String(row.actor_label),
        action: String(row.action),
        ...(conversationKey ? { conversationKey } : {}),
        ...(detail ? { detail: JSON.parse(detail) as Record<string, unknown> } : {}),
      };
    });
  }

  private async requireUser(username: string): Promise<User> {
    const found = await this.findByUsername(username);
    if (!found) throw new PeopleError('USER_NOT_FOUND', `No user "${username}". See \`zapflow agents list\`.`);
    return found.user;
  }
}

/** What the cases side needs to know about agents: where to forward a claimed conversation's messages. */
export interface AgentDirectory {
  /** The agent's WhatsApp number (digits), or undefined when none is set or the user is unknown/disabled. */
  phoneOf(userId: string): Promise<string | undefined>;
}

export function agentDirectory(store: PeopleStore): AgentDirectory {
  return {
    async phoneOf(userId) {
      const user = await store.getUser(userId);
      return user && !user.disabledAt ? user.phone : undefined;
    },
  };
}
