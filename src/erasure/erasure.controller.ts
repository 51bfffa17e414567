import { Controller, Delete, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../auth/request-context.decorator.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { ErasureReceiptResponse } from './dto/erasure-receipt.response.js';
import { ErasureService } from './erasure.service.js';

@ApiTags('subjects')
@ApiBearerAuth()
@Controller('v1/subjects')
export class ErasureController {
  constructor(private readonly erasure: ErasureService) {}

  @Delete(':subjectId')
  @ApiOkResponse({
    type: ErasureReceiptResponse,
    description: 'Crypto-shredded; later reads answer 410.',
  })
  async erase(
    @Ctx() ctx: RequestContext,
    @Param('subjectId') subjectId: string,
  ): Promise<ErasureReceiptResponse> {
    const receipt = await this.erasure.erase(ctx, subjectId);
    return { ...receipt, erasedAt: receipt.erasedAt.toISOString() };
  }
}
