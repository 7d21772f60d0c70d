import { Controller, Get, Query } from '@nestjs/common';
import { ListUsersQuery } from './list-users.query.js';
import { UserEntity, UserPage } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersRepository) {}

  @Get()
  async findAll(@Query() { limit, offset }: ListUsersQuery): Promise<UserPage> {
    const [users, total] = await Promise.all([this.users.findPage(limit, offset), this.users.count()]);
    return new UserPage({ items: users.map((user) => new UserEntity(user)), total, limit, offset });
  }
}
