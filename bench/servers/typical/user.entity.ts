import { Exclude } from 'class-transformer';

export class UserEntity {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  updatedAt: string;

  @Exclude()
  nameKey: string;

  @Exclude()
  passwordHash: string;

  @Exclude()
  sessionVersion: number;

  constructor(partial: Partial<UserEntity>) {
    Object.assign(this, partial);
  }
}

export class UserPage {
  items: UserEntity[];
  total: number;
  limit: number;
  offset: number;

  constructor(partial: Partial<UserPage>) {
    Object.assign(this, partial);
  }
}
