/** Who did something: a signed-in person (console or their API token) or the shared ADMIN_TOKEN automation. */
export type Actor =
  | { kind: 'user'; userId: string; username: string; displayName: string; role: 'agent' | 'admin' }
  | { kind: 'token'; name: 'ADMIN_TOKEN' };

export const actorLabel = (actor: Actor): string => (actor.kind === 'user' ? actor.username : actor.name);
