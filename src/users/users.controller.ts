import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { SessionService } from '../sessions/session.service.js';
import { RateLimited } from '../throttling/rate-limit.js';
import { ErrorResponse } from '../common/error.response.js';
import { LoggedIn } from '../common/logged-in.decorator.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { RenameUserDto, UpdateUserDto } from './dto/update-user.dto.js';
import { toUserResponse, UserPage, UserResponse } from './user.response.js';
import { type Page, PageQuery } from '../common/pagination.js';
import type { User } from './user.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid input; `message` lists what is wrong' })
@Controller('api/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  @Public()
  @Post()
  @RateLimited('signup')
  @ApiOperation({
    summary: 'Create a user',
    description:
      'Anyone may sign up while REGISTRATION=open; admins always may (send the session cookie). ' +
      'The very first user becomes admin.',
  })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiForbiddenResponse({
    type: ErrorResponse,
    description: 'Registration closed, or role set by a non-admin',
  })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Name taken' })
  async create(@Body() dto: CreateUserDto, @CurrentUser() actor?: User): Promise<UserResponse> {
    return toUserResponse(await this.users.create(dto, actor));
  }

  @Get()
  @LoggedIn()
  @ApiOperation({ summary: 'List users, oldest first' })
  @ApiOkResponse({ type: UserPage })
  async list(@Query() { limit, offset }: PageQuery): Promise<Page<UserResponse>> {
    const { items, total } = await this.users.list({ limit, offset });
    return { items: items.map(toUserResponse), total, limit, offset };
  }

  @Get(':id')
  @LoggedIn()
  @ApiOperation({ summary: 'Get one user' })
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  async get(@Param('id', ParseIdPipe) id: string): Promise<UserResponse> {
    return toUserResponse(await this.users.get(id));
  }

  @Put(':id')
  @LoggedIn()
  @ApiOperation({ summary: 'Rename a user (yourself, or anyone as admin)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiForbiddenResponse({ type: ErrorResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Name taken' })
  async rename(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: RenameUserDto,
    @CurrentUser() actor: User,
  ): Promise<UserResponse> {
    return toUserResponse((await this.users.update(id, dto, actor)).user);
  }

  @Patch(':id')
  @LoggedIn()
  @ApiOperation({
    summary: 'Change name, password or role',
    description:
      'Yourself or anyone as admin; only admins change roles. Changing your own password needs ' +
      'currentPassword. A new password or role gives your session a new id (a new cookie) and ' +
      "ends your other sessions; an admin changing someone else's ends all of theirs.",
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiForbiddenResponse({ type: ErrorResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Name taken, or the last admin demoted' })
  async update(
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: UpdateUserDto,
    @CurrentUser() actor: User,
    @Req() req: Request,
  ): Promise<UserResponse> {
    const { user, accessChanged } = await this.users.update(id, dto, actor);
    // Sessions made under the old password or role must not live on (DESIGN §5).
    if (accessChanged) {
      if (actor.id === id && (await this.sessions.renew(req, user.sessionVersion))) {
        await this.sessions.endOthers(req, id);
      } else await this.sessions.endAll(id);
    }
    return toUserResponse(user);
  }

  @Delete(':id')
  @LoggedIn()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Delete a user (yourself, or anyone as admin); ends that user's sessions" })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ type: ErrorResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'The last admin' })
  async remove(
    @Param('id', ParseIdPipe) id: string,
    @CurrentUser() actor: User,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.users.remove(id, actor);
    await this.sessions.endAll(id);
    if (actor.id === id) await this.sessions.end(req, res);
  }
}
