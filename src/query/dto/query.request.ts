import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import type { RouteJsonLimits } from '../../platform/http/json-body.js';

/** Longest cursor the gateway hands out (an 8 KiB payload and its MAC), with room to spare. */
const MAX_CURSOR_LENGTH = 8448;

/**
 * A query is a few short fields, so its body gets a small budget, checked on the raw bytes
 * before parsing: 16 KiB, objects and arrays 3 deep (one level below a `where` value, so a
 * non-scalar value still gets the 422 that says what is wrong), 256 members and items, no
 * string longer than a cursor. More answers 413 or 400 before any decision.
 */
export const QUERY_BODY_LIMITS: RouteJsonLimits = {
  maxBytes: 16 * 1024,
  maxDepth: 3,
  maxMembers: 256,
  maxStringBytes: MAX_CURSOR_LENGTH,
};

export class QueryRequestBody {
  @ApiProperty({ example: 'direct_message', maxLength: 128 })
  @IsString()
  @MaxLength(128)
  collection!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { senderId: 'u-42' },
    description:
      'Equality on indexed fields: 1 to 8 field: value pairs, each value a string, number or boolean (more fields: 422).',
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
  @MaxLength(16, { each: true })
  jurisdictions?: string[];

  @ApiProperty({ required: false, type: [String], description: 'Fields to return (default: all).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  fields?: string[];

  @ApiProperty({ required: false, default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiProperty({ required: false, maxLength: MAX_CURSOR_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CURSOR_LENGTH)
  cursor?: string;
}

/**
 * One region's part of a cross-border query, as a cell sends it to the cell serving that region
 * (peer port only). The home cell validates it against its own bundle, decides and answers.
 */
export class QueryPartRequestBody {
  @IsString()
  @MaxLength(64)
  region!: string;

  @IsString()
  @MaxLength(128)
  collection!: string;

  @IsObject()
  where!: Record<string, unknown>;

  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  fields!: string[];

  @IsInt()
  @Min(1)
  @Max(100)
  limit!: number;

  /** The last (subjectId, recordId) the asking cell has seen from this region; absent at the start. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  after?: [string, string];
}
