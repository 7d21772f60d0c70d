import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SessionModule } from '../auth/session/session.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), SessionModule],
  controllers: [HealthController],
})
export class HealthModule {}
