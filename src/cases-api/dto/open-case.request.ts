import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
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
}
