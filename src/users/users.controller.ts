import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
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
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/configuration';
import { CurrentUser } from '../auth/current-user.decorator';
import { Public } from '../auth/public.decorator';
import { endSession } from '../auth/session/session.utils';
import { ErrorResponse } from '../common/error.response';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { RenameUserDto, UpdateUserDto } from './dto/update-user.dto';
import { toUserResponse, UserPage, UserResponse } from './dto/user.response';
import type { User } from './users.repository';
import { UsersService } from './users.service';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });

@ApiTags('users')
@ApiCookieAuth()
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid input; `message` lists what is wrong' })
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Not logged in' })
@Controller('api/users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Post()
  @ApiOperation({
    summary: 'Create a user',
    description:
      'Anyone may sign up while REGISTRATION=open; admins always may. The very first user becomes admin.',
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
  @ApiOperation({ summary: 'List users, oldest first' })
  @ApiOkResponse({ type: UserPage })
  async list(@Query() { limit, offset }: ListUsersQuery): Promise<UserPage> {
    const { items, total } = await this.users.list(limit, offset);
    return { items: items.map(toUserResponse), total, limit, offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one user' })
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  async get(@Param('id', uuid) id: string): Promise<UserResponse> {
    return toUserResponse(await this.users.get(id));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Rename a user (yourself, or anyone as admin)' })
  @ApiOkResponse({ type: UserResponse })
  @ApiForbiddenResponse({ type: ErrorResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Name taken' })
  async rename(
    @Param('id', uuid) id: string,
    @Body() dto: RenameUserDto,
    @CurrentUser() actor: User,
  ): Promise<UserResponse> {
    return toUserResponse(await this.users.update(id, dto, actor));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change name, password or role',
    description:
      'Yourself or anyone as admin. Changing your own password needs currentPassword; only admins change roles.',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiForbiddenResponse({ type: ErrorResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Name taken, or the last admin demoted' })
  async update(
    @Param('id', uuid) id: string,
    @Body() dto: UpdateUserDto,
    @CurrentUser() actor: User,
  ): Promise<UserResponse> {
    return toUserResponse(await this.users.update(id, dto, actor));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Delete a user (yourself, or anyone as admin); ends that user's sessions" })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ type: ErrorResponse })
  @ApiNotFoundResponse({ type: ErrorResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'The last admin' })
  async remove(
    @Param('id', uuid) id: string,
    @CurrentUser() actor: User,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.users.remove(id, actor);
    if (actor.id === id) await endSession(req, res, this.config);
  }
}
