import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { LoginThrottle } from '../throttling/login-throttle.js';
import { AppConfig } from '../config/configuration.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import { PasswordHasher } from './password.hasher.js';
import type { User } from './user.js';
import { nameKey } from './user-name.js';
import { type UserChanges, UsersRepository } from './users.repository.js';
import type { PageRequest } from '../database/paginated-query.js';

export interface UserUpdate {
  user: User;
  accessChanged: boolean;
}

const CLOSED = 'Registration is closed: ask an admin to create your account';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly config: AppConfig,
  ) {}

  /** Signs up (while registration is open, or for the very first user) or lets an admin add a user. */
  async create(dto: CreateUserDto, actor?: User): Promise<User> {
    const admin = actor?.role === 'admin';
    if (dto.role === 'admin' && !admin) throw new ForbiddenException('Only an admin can create an admin');
    const closedToCaller = !admin && this.config.registration === 'closed';
    if (closedToCaller && (await this.users.hasAnyUser())) throw new ForbiddenException(CLOSED);
    const created = await this.users.create({
      id: randomUUID(),
      name: dto.name,
      nameKey: nameKey(dto.name),
      passwordHash: await this.passwords.hash(dto.password),
      // Anyone else gets the default, so the very first user is admin even if they sent role "user".
      role: admin ? dto.role : undefined,
      // Re-checked in the insert itself: a sign-up racing the first one must not slip in.
      onlyIfFirst: closedToCaller,
      now: new Date().toISOString(),
    });
    if (created === 'not-first') throw new ForbiddenException(CLOSED);
    if (created === 'name-taken') throw nameTaken(dto.name);
    return created;
  }

  /** Whether an anonymous visitor may create an account now. */
  async signUpOpen(): Promise<boolean> {
    return this.config.registration === 'open' || !(await this.users.hasAnyUser());
  }

  list(page: PageRequest): Promise<{ items: User[]; total: number }> {
    return this.users.page(page);
  }

  findById(id: string): Promise<User | undefined> {
    return this.users.findById(id);
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException(`User ${id} does not exist`);
    return user;
  }

  /**
   * The user with this name and password, or undefined. An unknown name costs the same hash
   * verification as a wrong password, so the answer time does not tell which it was.
   */
  async authenticate(name: string, password: string): Promise<User | undefined> {
    const found = await this.users.findWithPasswordByNameKey(nameKey(name));
    const valid = await this.passwords.verify(
      password,
      found?.passwordHash ?? (await this.passwords.dummyHash()),
    );
    if (!found || !valid) return undefined;
    const { passwordHash: _, ...user } = found;
    return user;
  }

  /**
   * Applies the changes. `accessChanged` says the password or the role changed, so sessions
   * made before no longer fit (the caller renews or ends them).
   */
  async update(id: string, dto: UpdateUserDto, actor: User): Promise<UserUpdate> {
    const target = await this.get(id);
    const self = actor.id === target.id;
    if (!self && actor.role !== 'admin') throw new ForbiddenException('You can only change your own account');
    if (dto.role !== undefined && actor.role !== 'admin') {
      throw new ForbiddenException('Only an admin can change a role');
    }

    const changes: UserChanges = {};
    if (dto.name !== undefined) Object.assign(changes, { name: dto.name, nameKey: nameKey(dto.name) });
    if (dto.role !== undefined) changes.role = dto.role;
    if (dto.password !== undefined) {
      if (self) await this.checkCurrentPassword(target, dto.currentPassword);
      changes.passwordHash = await this.passwords.hash(dto.password);
    }
    if (Object.keys(changes).length === 0) return { user: target, accessChanged: false };

    const result = await this.users.update(id, changes, new Date().toISOString());
    if (result === 'missing') throw new NotFoundException(`User ${id} does not exist`);
    if (result === 'last-admin') throw new ConflictException('The last admin cannot stop being an admin');
    if (result === 'name-taken') throw nameTaken(dto.name);
    return { user: result, accessChanged: result.sessionVersion !== target.sessionVersion };
  }

  async remove(id: string, actor: User): Promise<void> {
    const target = await this.get(id);
    if (actor.id !== target.id && actor.role !== 'admin') {
      throw new ForbiddenException('You can only delete your own account');
    }
    const result = await this.users.delete(id);
    if (result === 'missing') throw new NotFoundException(`User ${id} does not exist`);
    if (result === 'last-admin') throw new ConflictException('The last admin cannot be deleted');
  }

  /** Guesses are throttled per user like logins (not per name: a rename must not reset the count). */
  private async checkCurrentPassword(user: User, currentPassword: string | undefined): Promise<void> {
    if (currentPassword === undefined) {
      throw new BadRequestException('currentPassword is required to change your own password');
    }
    const subject = `user:${user.id}`;
    await this.throttle.attempt(subject);
    const hash = await this.users.findPasswordHash(user.id);
    if (!hash || !(await this.passwords.verify(currentPassword, hash))) {
      throw new ForbiddenException('currentPassword is not your current password');
    }
    await this.throttle.succeeded(subject);
  }
}

function nameTaken(name: string | undefined): ConflictException {
  return new ConflictException(`The name "${name}" is already taken`);
}
