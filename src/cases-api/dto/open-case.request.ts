import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';

export class OpenCaseRequest {
  @ApiProperty({ enum: ['user-report', 'legal-request'] })
  @IsIn(['user-report', 'legal-request'])
  kind!: 'user-report' | 'legal-request';

  @ApiProperty({ type: [String], description: 'Subjects the case names; all homed in one region.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  subjectIds!: string[];

  @ApiProperty({
    required: false,
    description: 'An external ticket reference (no free text: it may not hold personal data).',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:#-]{1,128}$/)
  reference?: string;

  @ApiProperty({
    required: false,
    description:
      'Legal requests (required): the one service that may use the approval (a token subject, e.g. svc:legal-us).',
    example: 'svc:legal-us',
  })
  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,128}$/)
  requester?: string;

  @ApiProperty({
    required: false,
    description:
      'Legal requests: the jurisdiction the requester must call from (default: the subjects’ jurisdiction).',
    example: 'US',
  })
  @IsOptional()
  @Matches(/^[A-Z]{2,8}$/)
  requesterJurisdiction?: string;

  @ApiProperty({
    required: false,
    format: 'date-time',
    description:
      'Legal requests: when the approval stops working (default 30 days after opening, at most 90).',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}
