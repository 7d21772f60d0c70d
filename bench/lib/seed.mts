import { request } from './http.mts';

export const PASSWORD = 'bench password 1234';
export const ADMIN = 'bench-admin';

export interface Seeded {
  /** The admin's signed session cookie value (`s:<sid>.<signature>`, URL-encoded as sent). */
  cookie: string;
  /** Every user's name (the admin first); all have {@link PASSWORD}. */
  names: string[];
}

/**
 * Fills an empty database through the product's own API: the first sign-up (the admin), its login,
 * then `users - 1` more users created by the admin, `parallel` at a time.
 */
export async function seed(origin: string, users: number, parallel: number): Promise<Seeded> {
  const signUp = await request(`${origin}/api/users`, {
    method: 'POST',
    json: { name: ADMIN, password: PASSWORD },
  });
  if (signUp.status !== 201) throw new Error(`sign-up gave ${signUp.status}: ${signUp.body}`);
  const login = await request(`${origin}/api/auth/login`, {
    method: 'POST',
    json: { name: ADMIN, password: PASSWORD },
  });
  const setCookie = login.headers['set-cookie']?.join('\n') ?? '';
  const cookie = /(?:^|\n)sid=([^;]+)/.exec(setCookie)?.[1];
  if (login.status !== 200 || !cookie) throw new Error(`login gave ${login.status}: ${login.body}`);
  const names = Array.from({ length: users - 1 }, (_, i) => `bench-user-${String(i + 1).padStart(3, '0')}`);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const created = await request(`${origin}/api/users`, {
        method: 'POST',
        headers: { cookie: `sid=${cookie}` },
        json: { name: names[i], password: PASSWORD },
      });
      if (created.status !== 201)
        throw new Error(`creating ${names[i]} gave ${created.status}: ${created.body}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { cookie, names: [ADMIN, ...names] };
}
