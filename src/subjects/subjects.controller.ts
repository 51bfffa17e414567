import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../auth/request-context.decorator.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { CreateSubjectRequest } from './dto/create-subject.request.js';
import { SubjectResponse } from './dto/subject.response.js';
import { SubjectsService } from './subjects.service.js';

@ApiTags('subjects')
@ApiBearerAuth()
@Controller('v1/subjects')
export class SubjectsController {
  constructor(private readonly subjects: SubjectsService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({
    type: SubjectResponse,
    description: 'Created in a region of the country’s jurisdiction.',
  })
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: CreateSubjectRequest,
  ): Promise<SubjectResponse> {
    return SubjectResponse.of(await this.subjects.create(ctx, body.country));
  }

  @Get(':subjectId')
  @ApiOkResponse({ type: SubjectResponse })
  async get(
    @Ctx() ctx: RequestContext,
    @Param('subjectId') subjectId: string,
  ): Promise<SubjectResponse> {
    return SubjectResponse.of(await this.subjects.get(ctx, subjectId));
  }
}
