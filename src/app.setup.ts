import { ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sessionCookieName } from './auth/session/session.cookie';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { requestId } from './common/request-id.middleware';
import type { AppConfig } from './config/configuration';

export const PACKAGE = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
};

/**
 * Everything applied around the modules: proxies, headers, validation, errors, docs (sessions
 * are SessionModule's, on /api only).
 * `main.ts` and the e2e tests both call it, so tests run the real wiring.
 */
export function setupApp(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.trustProxy);
  // API responses change with every write; hashing each JSON body for an ETag costs more than it saves.
  app.set('etag', false);
  app.use(requestId);
  app.use(
    helmet({
      // Over plain HTTP these would send browsers to an HTTPS port that is not there.
      strictTransportSecurity: config.secureCookies,
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: config.secureCookies ? [] : null } },
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
    }),
  );
  setupSwagger(app, config);
}

function setupSwagger(app: NestExpressApplication, config: AppConfig): void {
  const document = new DocumentBuilder()
    .setTitle(PACKAGE.name)
    .setDescription(
      `${PACKAGE.description}.\n\nLog in with **POST /api/auth/login** below: the browser keeps the ` +
        'session cookie, and "Try it out" on the other endpoints then runs as that user.',
    )
    .setVersion(PACKAGE.version)
    .addCookieAuth(sessionCookieName(config))
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, document), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { withCredentials: true },
  });
}
