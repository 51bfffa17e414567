import { ApiProperty } from '@nestjs/swagger';

export class ErasureReceiptResponse {
  @ApiProperty()
  subjectId!: string;

  @ApiProperty({ description: 'The home region whose store was erased.' })
  region!: string;

  @ApiProperty({ format: 'date-time' })
  erasedAt!: string;

  @ApiProperty()
  recordsDeleted!: number;

  @ApiProperty()
  indexEntriesDeleted!: number;

  @ApiProperty({
    description:
      'Wrapped subject keys destroyed (1): every copy of the ciphertext is now unreadable.',
  })
  keysDestroyed!: number;
}
