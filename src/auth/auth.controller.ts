import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorResponse } from '../common/error.response.js';
import { toUserResponse, UserResponse } from '../users/user.response.js';
import type { User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { AuthService } from './auth.service.js';
import { CurrentUser } from './current-user.decorator.js';
import { AuthStatus } from './dto/auth-status.response.js';
import { LoginDto } from './dto/login.dto.js';
import { SessionResponse } from './dto/session.response.js';
import { Public } from './public.decorator.js';
import { SessionService } from '../sessions/session.service.js';
import { RateLimited } from '../throttling/rate-limit.js';
import { LoggedIn } from '../common/logged-in.decorator.js';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Post('login')
  @RateLimited('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Log in',
    description: 'Sets the session cookie; later requests from this browser (and Swagger UI) are logged in.',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiBadRequestResponse({ type: ErrorResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Wrong name or password' })
  async login(@Body() dto: LoginDto, @Req() req: Request): Promise<UserResponse> {
    return toUserResponse(await this.auth.login(req, dto.name, dto.password));
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @LoggedIn()
  @ApiOperation({ summary: 'Log out: ends the session and clears the cookie' })
  @ApiNoContentResponse()
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.end(req, res);
  }

  @Public()
  @Get('status')
  @ApiOperation({
    summary: 'Who is here, and may they sign up',
    description: 'For pages: never 401, so a logged-out visit is not an error.',
  })
  @ApiOkResponse({ type: AuthStatus })
  async status(@CurrentUser() user?: User): Promise<AuthStatus> {
    return { user: user ? toUserResponse(user) : null, signUpOpen: await this.users.signUpOpen() };
  }

  @Get('me')
  @LoggedIn()
  @ApiOperation({
    summary: 'Who am I',
    description: 'The logged-in user, for the "{name}님 안녕하세요" greeting.',
  })
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() user: User): UserResponse {
    return toUserResponse(user);
  }

  @Get('sessions')
  @LoggedIn()
  @ApiOperation({ summary: 'My sessions (every device I am logged in on), newest login first' })
  @ApiOkResponse({ type: [SessionResponse] })
  sessionList(@CurrentUser() user: User, @Req() req: Request): Promise<SessionResponse[]> {
    return this.sessions.list(req, user.id);
  }

  @Delete('sessions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @LoggedIn()
  @ApiOperation({
    summary: 'Log out one of my sessions',
    description: 'Ending the current session is a logout: the cookie is cleared too.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No session of mine has this id' })
  async endSession(
    @Param('id') id: string,
    @CurrentUser() user: User,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    if (!(await this.sessions.endByHandle(req, res, user.id, id))) {
      throw new NotFoundException('You have no session with this id');
    }
  }

  @Delete('sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @LoggedIn()
  @ApiOperation({ summary: 'Log out all my other sessions; this one stays' })
  @ApiNoContentResponse()
  async endOtherSessions(@CurrentUser() user: User, @Req() req: Request): Promise<void> {
    await this.sessions.endOthers(req, user.id);
  }
}
