import { describe, expect, it } from 'vitest';
import { InboxGroupCommit } from '../../../src/conversations/store/group-commit.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import type { InboxItem, InboxRecord } from '../../../src/conversations/store/types.js';

function message(id: string, text = `msg ${id}`): InboxItem {
  return { provider: 'meta', messageId: `wamid.${id}`, conversationKey: `meta:1:55119000000${id.padStart(2, '0')}`, kind: 'text', customer: '5511900000001', text, sentAt: 1000 };
}

/** A store whose commits take a while (like a Postgres round trip), recording what each commit held. */
function slowStore(options: { refuse?: (item: InboxItem) => boolean } = {}) {
  const store = new MemoryServiceStore();
  const commits: string[][] = [];
  return {
    store,
    commits,
    async insertInbox(items: InboxItem[], now: number): Promise<InboxRecord[]> {
      commits.push(items.map((item) => item.messageId));
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (items.some((item) => options.refuse?.(item))) throw new Error('invalid byte sequence');
      return store.insertInbox(items, now);
    },
  };
}

describe('InboxGroupCommit', () => {
  it('with gatherPerLoopTurn, stores the webhooks of one event-loop turn in one commit even when the store answers at once', async () => {
    const store = new MemoryServiceStore();
    const commits: string[][] = [];
    const inbox = new InboxGroupCommit({
      insertInbox: async (items, now) => {
        commits.push(items.map((item) => item.messageId));
        return store.insertInbox(items, now);
      },
    }, { gatherPerLoopTurn: true });
    const sameTurn = await Promise.all([inbox.insert([message('1')], 1), inbox.insert([message('2'), message('1')], 2)]);
    const nextTurn = await inbox.insert([message('3')], 3);
    expect(commits).toEqual([['wamid.1', 'wamid.2', 'wamid.1'], ['wamid.3']]);
    expect(sameTurn.map((records) => records.map((r) => r.messageId))).toEqual([['wamid.1'], ['wamid.2']]);
    expect(nextTurn.map((r) => r.messageId)).toEqual(['wamid.3']);
  });

  it('stores webhooks that arrive during a commit together in the next one, each caller getting its own rows', async () => {
    const slow = slowStore();
    const inbox = new InboxGroupCommit(slow);
    const first = inbox.insert([message('1')], 1);
    const rest = [inbox.insert([message('2')], 2), inbox.insert([message('3'), message('4')], 3)];
    const results = await Promise.all([first, ...rest]);
    expect(slow.commits).toEqual([['wamid.1'], ['wamid.2', 'wamid.3', 'wamid.4']]);
    expect(results.map((records) => records.map((r) => r.messageId))).toEqual([['wamid.1'], ['wamid.2'], ['wamid.3', 'wamid.4']]);
  });

  it('gives a message redelivered within the same group to the first request only', async () => {
    const slow = slowStore();
    const inbox = new InboxGroupCommit(slow);
    const blocker = inbox.insert([message('9')], 1);
    const [original, redelivery] = await Promise.all([inbox.insert([message('1')], 2), inbox.insert([message('1')], 3), blocker]);
    expect(original.map((r) => r.messageId)).toEqual(['wamid.1']);
    expect(redelivery).toEqual([]);
  });

  it('fails only the request whose item the database refuses; its neighbours are stored', async () => {
    const slow = slowStore({ refuse: (item) => item.text === 'bad' });
    const inbox = new InboxGroupCommit(slow);
    const blocker = inbox.insert([message('9')], 1);
    const good = inbox.insert([message('1')], 2);
    const bad = inbox.insert([message('2', 'bad')], 3);
    await expect(bad).rejects.toThrow('invalid byte sequence');
    expect((await good).map((r) => r.messageId)).toEqual(['wamid.1']);
    await blocker;
    expect((await slow.store.recentMessages('meta:1:5511900000001', 10)).map((r) => r.messageId)).toEqual(['wamid.1']);
  });
});
