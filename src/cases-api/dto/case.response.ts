import { ApiProperty } from '@nestjs/swagger';
import type { Case } from '../../cases/case.js';

export class CaseResponse {
  @ApiProperty({ example: 'c1.us-east-1.7m2qk8d0x4v1c9hb3r5t6n8w2z' })
  id!: string;

  @ApiProperty({ enum: ['user-report', 'legal-request'] })
  kind!: string;

  @ApiProperty({ enum: ['open', 'approved', 'closed'] })
  status!: string;

  @ApiProperty({ type: [String] })
  subjectIds!: string[];

  @ApiProperty({ type: String, nullable: true })
  reference!: string | null;

  @ApiProperty({ description: 'The region whose store holds the case.' })
  region!: string;

  @ApiProperty()
  openedBy!: string;

  @ApiProperty({ format: 'date-time' })
  openedAt!: string;

  @ApiProperty({ type: String, nullable: true })
  approvedBy!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  approvedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  closedBy!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  closedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Legal requests: who may use it.' })
  requester!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Legal requests: from where.' })
  requesterJurisdiction!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  expiresAt!: string | null;

  static of(found: Case, region: string): CaseResponse {
    return {
      id: found.id,
      kind: found.kind,
      status: found.status,
      subjectIds: [...found.subjectIds],
      reference: found.reference,
      region,
      openedBy: found.openedBy,
      openedAt: found.openedAt.toISOString(),
      approvedBy: found.approvedBy,
      approvedAt: found.approvedAt?.toISOString() ?? null,
      closedBy: found.closedBy,
      closedAt: found.closedAt?.toISOString() ?? null,
      requester: found.requester,
      requesterJurisdiction: found.requesterJurisdiction,
      expiresAt: found.expiresAt?.toISOString() ?? null,
    };
  }
}
