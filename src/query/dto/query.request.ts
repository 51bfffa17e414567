import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
} from 'class-validator';

export class QueryRequestBody {
  @ApiProperty({ example: 'direct_message' })
  @IsString()
  collection!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { senderId: 'u-42' },
    description: 'Equality on indexed fields.',
  })
  @IsObject()
  where!: Record<string, unknown>;

  @ApiProperty({
    required: false,
    type: [String],
    example: ['US', 'EU'],
    description: 'Default: every jurisdiction.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  jurisdictions?: string[];

  @ApiProperty({ required: false, type: [String], description: 'Fields to return (default: all).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  fields?: string[];

  @ApiProperty({ required: false, default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiProperty({ required: false })
  @IsOptional()
  @IsString()
  cursor?: string;
}
