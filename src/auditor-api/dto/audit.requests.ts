import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';

/** `POST /v1/audit/verify`: verify a region's log against checkpoints kept outside it. */
export class VerifyRequest {
  @ApiProperty({ example: 'us-east-1' })
  @IsString()
  @MaxLength(64)
  region!: string;

  @ApiProperty({
    required: false,
    type: [String],
    description: 'Checkpoint notes (C2SP signed notes) kept outside the store.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  checkpoints?: string[];
}

/** `POST /v1/audit/cosignatures`: a witness returns a checkpoint with its cosignature. */
export class CosignatureRequest {
  @ApiProperty({ example: 'us-east-1' })
  @IsString()
  @MaxLength(64)
  region!: string;

  @ApiProperty({
    description:
      'The checkpoint note as the log signed it, with the witness’s cosignature/v1 line appended.',
  })
  @IsString()
  @MaxLength(8192)
  note!: string;
}
