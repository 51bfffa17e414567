import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class CreateSubjectRequest {
  @ApiProperty({ description: 'ISO 3166-1 alpha-2 country code of the user.', example: 'US' })
  @IsString()
  @Length(1, 16)
  country!: string;
}
