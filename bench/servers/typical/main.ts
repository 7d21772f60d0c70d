// The "typical" reference server: a NestJS 12 app set up as the NestJS docs show it (global
// express-session and cookie-parser, default ETag, ValidationPipe, ClassSerializerInterceptor,
// a repository), on the product's SQLite file and sessions table. Compiled by bench/bench.mts.
//   DATABASE_FILE=data/app.db SESSION_SECRET=... PORT=3002 node bench/.build/typical/main.js
import { ClassSerializerInterceptor, ValidationPipe } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import session from 'express-session';
import { Kysely } from 'kysely';
import { AppModule } from './app.module.js';
import type { DB } from './database.js';
import { KyselySessionStore } from './session.store.js';

async function bootstrap(): Promise<void> {
  const secrets = (process.env.SESSION_SECRET ?? '').split(',');
  const app = await NestFactory.create<NestExpressApplication>(AppModule);
  app.use(cookieParser(secrets));
  app.use(
    session({
      name: 'sid',
      secret: secrets,
      store: new KyselySessionStore(app.get<Kysely<DB>>(Kysely)),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 12 * 3_600_000 },
    }),
  );
  app.useGlobalPipes(new ValidationPipe({ transform: true }));
  app.useGlobalInterceptors(new ClassSerializerInterceptor(app.get(Reflector)));
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3002), process.env.HOST ?? '127.0.0.1');
  console.log(`Listening on ${await app.getUrl()} (pid ${process.pid})`);
}

void bootstrap();
