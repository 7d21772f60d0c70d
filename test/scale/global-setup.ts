/** `npm run test:scale` needs real servers: it fails here, once and clearly, without them. */
export default function globalSetup(): void {
  const missing = ['DATABASE_URL', 'REDIS_URL'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `npm run test:scale needs ${missing.join(' and ')} (PostgreSQL and Redis to test against). ` +
        'Start them with: eval "$(scripts/services.sh start)"',
    );
  }
  if (!process.env.DATABASE_URL!.startsWith('postgres')) {
    throw new Error('npm run test:scale needs DATABASE_URL to point to PostgreSQL (postgres://...)');
  }
}
