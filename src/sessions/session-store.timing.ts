import type { Histogram } from 'prom-client';
import type { SessionStore } from './session-store.js';

type Callback = (...results: unknown[]) => void;
type Method = (...args: unknown[]) => unknown;

// express-session's callback methods, and where their callback sits.
const CALLBACK_AT = { get: 1, set: 2, destroy: 1, touch: 2 } as const;
const PROMISED = ['create', 'rotate', 'listByUser', 'destroyByUser'] as const;

/**
 * Times each session store operation into `histogram` (label `operation`), errors included.
 * The store's own methods are wrapped in place, not behind a proxy object, so express-session's
 * helpers on the store (`load`, `regenerate`) and the `generate` it assigns go through them too.
 */
export function timeSessionStore<T extends SessionStore>(store: T, histogram: Histogram<'operation'>): T {
  const methods = store as unknown as Record<string, Method>;
  for (const [operation, at] of Object.entries(CALLBACK_AT)) {
    const original = methods[operation].bind(store);
    methods[operation] = (...args: unknown[]) => {
      const end = histogram.startTimer({ operation });
      const callback = args[at] as Callback | undefined;
      args[at] = (...results: unknown[]) => {
        end();
        callback?.(...results);
      };
      return original(...args);
    };
  }
  for (const operation of PROMISED) {
    const original = methods[operation].bind(store);
    methods[operation] = (...args: unknown[]) => {
      const end = histogram.startTimer({ operation });
      return (original(...args) as Promise<unknown>).finally(end);
    };
  }
  return store;
}
