import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A subject row. It exists only in the store of the subject's home region. */
@Entity({ name: 'subjects' })
export class SubjectEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'home_region', type: 'text' })
  homeRegion!: string;

  @Column({ type: 'text' })
  jurisdiction!: string;

  /** Null once the subject is erased. */
  @Column({ type: 'char', length: 2, nullable: true })
  country!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;
}
