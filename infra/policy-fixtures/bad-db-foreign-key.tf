# BAD on purpose: the US store encrypted with the EU region's key.
provider "aws" {
  region = "us-east-1"
}

resource "aws_db_instance" "store" {
  identifier        = "residency-gateway-us-east-1"
  engine            = "postgres"
  instance_class    = "db.r6g.large"
  storage_encrypted = true
  kms_key_id        = "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000"
}
