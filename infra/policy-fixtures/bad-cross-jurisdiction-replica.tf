# BAD on purpose: US backups replicated into an EU region, and an EU read replica of a US store.
provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "eu"
  region = "eu-central-1"
}

resource "aws_db_instance_automated_backups_replication" "to_eu" {
  provider               = aws.eu
  source_db_instance_arn = "arn:aws:rds:us-east-1:111122223333:db:residency-gateway-us-east-1"
}

resource "aws_db_instance" "eu_replica" {
  provider            = aws.eu
  identifier          = "residency-gateway-us-east-1-replica"
  instance_class      = "db.r6g.large"
  replicate_source_db = "arn:aws:rds:us-east-1:111122223333:db:residency-gateway-us-east-1"
  storage_encrypted   = true
  kms_key_id          = "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000"
}
