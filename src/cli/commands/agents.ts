/**
 * `zapflow agents add|list|disable|reset-password|token create`: the people who sign in to the console
 * (agents work cases; admins also see runs, the dead outbox, agents and the audit log).
 * Passwords come from stdin (`--password-stdin`) or are generated and printed once; they are never
 * accepted as an argument, where shell history and `ps` would keep them.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { openStores } from './storage-admin.js';
import { digestSecret, generatePassword, hashPassword, newSecret, openPeopleStore, PeopleError, type PeopleStore, type Role } from '../../people/index.js';

const MIN_PASSWORD_LENGTH = 12;

async function withPeople<T>(work: (people: PeopleStore) => Promise<T>): Promise<T> {
  // The engine's tables first (as `zapflow migrate` does): the first admin is often created before the
  // first start, and the engine refuses a database that has only the service tables.
  const { storage, serviceStore } = openStores();
  await storage.init();
  await serviceStore.init();
  await serviceStore.close();
  await storage.close();
  const people = await openPeopleStore(loadConfig(process.env));
  try {
    return await work(people);
  } finally {
    await people.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** The password to set: stdin, or a generated one printed once. */
async function choosePassword(fromStdin: boolean | undefined): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: generatePassword(), generated: true };
  const password = await readStdin();
  if ([...password].length < MIN_PASSWORD_LENGTH) throw new PeopleError('INVALID_ACCOUNT', `The password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
  return { password, generated: false };
}

function fail(error: unknown): never {
  process.stderr.write(`zapflow agents: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

export function register(program: Command): void {
  const agents = program.command('agents').description('Console accounts: agents and admins');

  agents
    .command('add')
    .description('Create an account (prints a generated password once unless --password-stdin)')
    .requiredOption('--username <username>', 'login name: lowercase letters, digits, ".", "_", "-"')
    .requiredOption('--name <name>', 'display name the customer is told ("Ana Souza")')
    .option('--role <role>', 'agent or admin', 'agent')
    .option('--phone <digits>', 'WhatsApp number (country code first) for forwarded customer messages')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (options: { username: string; name: string; role: string; phone?: string; passwordStdin?: boolean }) => {
      try {
        if (options.role !== 'agent' && options.role !== 'admin') throw new PeopleError('INVALID_ACCOUNT', `--role must be agent or admin (got "${options.role}").`);
        const role: Role = options.role;
        const { password, generated } = await choosePassword(options.passwordStdin);
        const user = await withPeople(async (people) =>
          people.addUser({
            username: options.username.trim(), displayName: options.name.trim(), role,
            ...(options.phone ? { phone: options.phone.replace(/\D/g, '') } : {}),
            passwordHash: await hashPassword(password),
          }));
        process.stdout.write(`created ${user.role} ${user.username} (${user.displayName})\n`);
        if (generated) process.stdout.write(`password (shown once): ${password}\n`);
      } catch (error) {
        fail(error);
      }
    });

  agents
    .command('list')
    .description('List accounts')
    .option('--json', 'one JSON array')
    .action(async (options: { json?: boolean }) => {
      try {
        const users = await withPeople((people) => people.listUsers());
        if (options.json) return void process.stdout.write(`${JSON.stringify(users)}\n`);
        for (const user of users) {
          process.stdout.write(`${user.username}\t${user.role}\t${user.disabledAt ? 'disabled' : 'active'}\t${user.displayName}\n`);
        }
      } catch (error) {
        fail(error);
      }
    });

  agents
    .command('disable <username>')
    .description('Disable an account: its sessions end and its API tokens stop working')
    .action(async (username: string) => {
      try {
        await withPeople((people) => people.disable(username));
        process.stdout.write(`disabled ${username}\n`);
      } catch (error) {
        fail(error);
      }
    });

  agents
    .command('reset-password <username>')
    .description('Set a new password (generated and printed once unless --password-stdin); signs the user out')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, options: { passwordStdin?: boolean }) => {
      try {
        const { password, generated } = await choosePassword(options.passwordStdin);
        const hash = await hashPassword(password);
        await withPeople((people) => people.setPassword(username, hash));
        process.stdout.write(`password of ${username} reset\n`);
        if (generated) process.stdout.write(`password (shown once): ${password}\n`);
      } catch (error) {
        fail(error);
      }
    });

  agents
    .command('token')
    .description('Per-user API tokens for the admin API')
    .command('create <username>')
    .description('Create an API token (printed once; send it as "Authorization: Bearer <token>")')
    .option('--name <name>', 'what the token is for', 'api')
    .action(async (username: string, options: { name: string }) => {
      try {
        const token = newSecret('zfu_');
        await withPeople((people) => people.createApiToken(username, options.name, digestSecret(token)));
        process.stdout.write(`token for ${username} (shown once): ${token}\n`);
      } catch (error) {
        fail(error);
      }
    });
}
