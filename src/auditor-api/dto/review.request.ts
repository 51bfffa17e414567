import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, Length, MaxLength } from 'class-validator';

/** `POST /v1/audit/reviews`: an auditor marks a break-glass decision reviewed. */
export class ReviewRequest {
  @ApiProperty({ example: 'us-east-1' })
  @IsString()
  @MaxLength(64)
  region!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  decisionId!: string;

  @ApiProperty({ description: 'Why the access was (or was not) justified; 1–2000 characters.' })
  @IsString()
  @Length(1, 2000)
  note!: string;
}
