import { ApiProperty } from '@nestjs/swagger';

export class RecordWriteResponse {
  @ApiProperty({ example: 's1.us-east-1.7m2qk8d0x4v1c9hb3r5t6n8w2z' })
  subjectId!: string;

  @ApiProperty({ example: 'profile' })
  collection!: string;

  @ApiProperty({ example: 'main' })
  recordId!: string;

  @ApiProperty({ example: 'us-east-1', description: 'The region whose store holds the record.' })
  region!: string;

  @ApiProperty({
    example: 3,
    description: 'Starts at 1 and increases on every write; also the ETag.',
  })
  version!: number;
}

export class RecordResponse extends RecordWriteResponse {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { displayName: 'Ada' } })
  data!: Record<string, unknown>;

  @ApiProperty({
    type: [String],
    description: 'Fields withheld from this caller by the policy decision.',
  })
  masked!: string[];
}

export class RecordPageResponse {
  @ApiProperty({ type: [RecordResponse] })
  items!: RecordResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null at the end.',
  })
  nextCursor!: string | null;
}
