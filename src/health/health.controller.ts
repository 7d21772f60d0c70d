import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Kysely } from 'kysely';
import { Public } from '../auth/public.decorator.js';
import { SessionService } from '../sessions/session.service.js';
import { AppConfig } from '../config/configuration.js';
import { probeDatabase } from '../database/database.probe.js';
import type { Database } from '../database/database.types.js';

// Under 1 s in all, so a load balancer takes an instance whose store hangs out of rotation at once.
const CHECK_TIMEOUT_MS = 800;

/** Liveness for restarts, readiness for load balancers (DESIGN §5). */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: Kysely<Database>,
    private readonly sessions: SessionService,
    private readonly config: AppConfig,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up and answering' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'The database and the session store answer: this instance can take traffic' })
  @ApiOkResponse({ description: "Terminus's report, every check up" })
  @ApiServiceUnavailableResponse({ description: "Terminus's report naming the check that is down" })
  async ready(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    try {
      return await this.health.check([
        () => this.probe('database', () => probeDatabase(this.db, this.config.database)),
        () => this.probe('sessions', () => this.sessions.ping()),
      ]);
    } catch (error) {
      // The report itself is the answer a load balancer or an operator wants, not a generic error.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(503);
      return error.getResponse();
    }
  }

  /** Up when `work` resolves in time; down otherwise, without details a stranger should not read. */
  private async probe<const Key extends string>(key: Key, work: () => Promise<unknown>) {
    const indicator = this.indicators.check(key);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([work(), timeout]);
      return indicator.up();
    } catch (error) {
      return indicator.down({
        message: error instanceof Error && error.message === 'timed out' ? 'timed out' : 'not answering',
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
