/**
 * The console address of a conversation, put in agents' alerts so they open it in one tap instead of
 * hunting for a masked number. Without PUBLIC_URL the path alone (still names the conversation).
 */
export function consoleConversationLink(publicUrl: string | undefined, conversationKey: string): string {
  return `${(publicUrl ?? '').replace(/\/+$/, '')}/console/conversations/${encodeURIComponent(conversationKey)}`;
}
