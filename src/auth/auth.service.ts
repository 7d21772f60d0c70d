import { Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../config/configuration.js';
import type { User } from '../users/user.js';
import { nameKey } from '../users/user-name.js';
import { UsersService } from '../users/users.service.js';
import './auth.types.js';
import { SessionService } from '../sessions/session.service.js';
import { LoginThrottle } from '../throttling/login-throttle.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottle,
    private readonly config: AppConfig,
  ) {}

  /**
   * Checks the credentials and starts a fresh session (new id) for the user. Unknown names and
   * wrong passwords get one answer, cost one hash, and count towards the same lock.
   */
  async login(req: Request, name: string, password: string): Promise<User> {
    const subject = `name:${nameKey(name)}`;
    await this.throttle.attempt(subject);
    const user = await this.users.authenticate(name, password);
    // A user deleted while their password was being checked gets the same answer as a wrong one.
    if (!user || !(await this.sessions.start(req, user))) {
      throw new UnauthorizedException('Wrong name or password');
    }
    await this.throttle.succeeded(subject);
    // The request now belongs to this user (its log line says who logged in).
    req.user = user;
    return user;
  }

  /**
   * The user the request's session belongs to, or undefined. Loading the user on every request
   * means a deleted user or a changed role takes effect at once, in every process.
   */
  async sessionUser(req: Request): Promise<User | undefined> {
    const { userId, authenticatedAt = 0, sessionVersion = 0 } = req.session ?? {};
    if (!userId) return undefined;
    const found =
      Date.now() - authenticatedAt > this.config.sessionAbsoluteTimeoutMs
        ? undefined
        : await this.users.findById(userId);
    // A password or role change since this session was made (even one committed while its login
    // was still checking the old password) makes it stale.
    const user = found?.sessionVersion === sessionVersion ? found : undefined;
    if (!user) await this.sessions.drop(req);
    return user;
  }
}
