import { ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { join } from 'node:path';
import { sessionCookieName } from './sessions/session.cookie.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { isDatabaseUnavailable } from './database/database.factory.js';
import { requestId } from './common/request-id.middleware.js';
import { checkBodyShape } from './common/body-shape.middleware.js';
import { sameOriginJsonOnly } from './common/same-origin.middleware.js';
import type { AppConfig } from './config/configuration.js';
import type { Logger } from './logging/logger.js';
import { ROOT_LOGGER } from './logging/logging.module.js';
import { requestLogger } from './logging/request-logger.js';
import { PACKAGE } from './package-info.js';
import { pageLanguage } from './pages/language.js';
import { PageRenderer, PUBLIC_DIR } from './pages/page-renderer.js';

/**
 * Everything applied around the modules: proxies, headers, assets, validation, errors, docs
 * (sessions are SessionModule's, on /api only).
 * `main.ts` and the e2e tests both call it, so tests run the real wiring.
 */
export function setupApp(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.trustProxy);
  // API responses change with every write; hashing each JSON body for an ETag costs more than it saves.
  app.set('etag', false);
  app.use(requestId);
  const csp = {
    // Nothing inline and nothing foreign: pages load only their own scripts, styles and fonts.
    styleSrc: ["'self'"],
    fontSrc: ["'self'"],
    // Over plain HTTP this (like HSTS) would send browsers to an HTTPS port that is not there.
    upgradeInsecureRequests: config.secureCookies ? [] : null,
  };
  const hsts = config.secureCookies && config.hstsMaxAgeSeconds > 0;
  app.use(
    helmet({
      // Not includeSubDomains: that would break plain-HTTP sites on sibling subdomains for a year.
      strictTransportSecurity: hsts ? { maxAge: config.hstsMaxAgeSeconds, includeSubDomains: false } : false,
      contentSecurityPolicy: { directives: csp },
    }),
  );

  // Swagger UI's page carries an inline <style>; only /docs may use inline styles (never scripts).
  app.use(
    '/docs',
    helmet.contentSecurityPolicy({ directives: { ...csp, styleSrc: ["'self'", "'unsafe-inline'"] } }),
  );
  app.useStaticAssets(join(PUBLIC_DIR, 'assets'), {
    prefix: '/assets/',
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    // Names carry no content hash, so browsers revalidate each time (Cache-Control: public,
    // max-age=0), which ETag and Last-Modified make a cheap 304.
    maxAge: 0,
  });
  // After the assets, which are many per page and carry nothing worth a line; before everything
  // that can refuse a request, so every answer from here on is logged.
  app.use(requestLogger(app.get<Logger>(ROOT_LOGGER)));
  app.use('/api', apiResponses, sameOriginJsonOnly);
  // JSON only (Nest's default parsers are off): the API takes nothing else, so nothing else is parsed.
  app.useBodyParser('json', { limit: config.bodyLimitBytes });
  app.use('/api', checkBodyShape);
  const pages = app.get(PageRenderer);
  app.useGlobalFilters(
    new AllExceptionsFilter({
      notFoundPage: (req) => pages.render('404', { lang: pageLanguage(req) }),
      unavailable: (error) => (isDatabaseUnavailable(error) ? 'database' : undefined),
    }),
  );
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

/** API answers are per user and change with every write: no cache may keep them. */
function apiResponses(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
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
