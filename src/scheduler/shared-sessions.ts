/**
 * Delivery sessions shared across the runs of one scheduler tick.
 *
 * The outbox opens a session per batch (`driver.open(settings)`), and each integration run delivers its
 * own small batch: without sharing, a tick of 10,000 xml-sftp runs to one server makes 10,000 SSH logins.
 * This wrapper keeps one open session per distinct settings for as long as the tick lasts: `open` hands
 * out the shared session (its `close` does nothing) and `closeAll` ends them, at the end of each tick, so
 * a long-running worker holds no idle connection between ticks.
 *
 * Sessions may be used by several deliveries at once and after a retryable failure (they reconnect on
 * the next delivery): see integrations/contract.ts. A failed `open` is not kept: the next run tries again.
 */
import type { DeliverySession, IntegrationDriver } from '../../integrations/contract.js';

export interface SharedSessionDriver<Settings> extends IntegrationDriver<Settings> {
  closeAll(): Promise<void>;
}

export function shareSessions<Settings>(driver: IntegrationDriver<Settings>): SharedSessionDriver<Settings> {
  const sessions = new Map<string, Promise<DeliverySession>>();
  return {
    type: driver.type,
    async open(settings) {
      const key = JSON.stringify(settings);
      let opening = sessions.get(key);
      if (!opening) {
        opening = driver.open(settings);
        sessions.set(key, opening);
        opening.catch(() => {
          if (sessions.get(key) === opening) sessions.delete(key);
        });
      }
      const session = await opening;
      return { deliver: (doc, artefacts) => session.deliver(doc, artefacts), close: async () => {} };
    },
    async closeAll() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map(async (s) => (await s.catch(() => null))?.close()));
    },
  };
}
