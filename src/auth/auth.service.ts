import { Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import type { Session } from 'express-session';
import { AppConfig } from '../config/configuration';
import type { User } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import './auth.types';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

  /** Checks the credentials and starts a fresh session (new id) for the user. */
  async login(req: Request, name: string, password: string): Promise<User> {
    const user = await this.users.authenticate(name, password);
    // One answer for an unknown name and a wrong password: nothing to enumerate.
    if (!user) throw new UnauthorizedException('Wrong name or password');
    await promisified(req.session, 'regenerate');
    req.session.userId = user.id;
    req.session.authenticatedAt = Date.now();
    await promisified(req.session, 'save');
    return user;
  }

  /**
   * The user the request's session belongs to, or undefined. Loading the user on every request
   * means a deleted user or a changed role takes effect at once, in every process.
   */
  async sessionUser(req: Request): Promise<User | undefined> {
    const session = req.session;
    if (!session?.userId) return undefined;
    if (Date.now() - (session.authenticatedAt ?? 0) > this.config.sessionAbsoluteTimeoutMs) {
      await promisified(session, 'destroy');
      return undefined;
    }
    const user = await this.users.findById(session.userId);
    if (!user) await promisified(session, 'destroy');
    return user;
  }
}

function promisified(session: Session, method: 'regenerate' | 'save' | 'destroy'): Promise<void> {
  return new Promise((resolve, reject) =>
    session[method]((error?: Error) => (error ? reject(error) : resolve())),
  );
}
