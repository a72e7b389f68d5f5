import type { EventFactory } from '../events/event-factory.ts';
import type { OutboxStore } from '../ports/outbox.ts';

/** Events about browser sessions on Tessera's pages. */
export interface SessionEvents {
  /** A person signed out (RP-initiated logout confirmed): `tessera.session.ended`. */
  sessionEnded(input: { accountId: string; clientId: string | undefined }): Promise<void>;
}

/**
 * The session itself is deleted by oidc-provider through the model adapter, which cannot tell a
 * logout from other deletions; the event is appended right after, from its end_session.success
 * notification. A crash between the two loses the event, never the logout.
 */
export function createSessionEvents(deps: {
  outbox: OutboxStore;
  newEvent: EventFactory;
}): SessionEvents {
  return {
    async sessionEnded({ accountId, clientId }) {
      await deps.outbox.append([
        deps.newEvent({
          type: 'tessera.session.ended',
          subject: accountId,
          data: { account_id: accountId, client_id: clientId ?? null, reason: 'logout' },
        }),
      ]);
    },
  };
}
