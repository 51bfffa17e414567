import { ApiProperty } from '@nestjs/swagger';
import type { Subject } from '../subject.js';

export class SubjectResponse {
  @ApiProperty({ example: 's1.us-east-1.7m2qk8d0x4v1c9hb3r5t6n8w2z' })
  subjectId!: string;

  @ApiProperty({ example: 'us-east-1' })
  homeRegion!: string;

  @ApiProperty({ example: 'US' })
  jurisdiction!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static of(subject: Subject): SubjectResponse {
    return {
      subjectId: subject.id,
      homeRegion: subject.homeRegion,
      jurisdiction: subject.jurisdiction,
      createdAt: subject.createdAt.toISOString(),
    };
  }
}
