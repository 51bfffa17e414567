# BAD on purpose: a store without encryption at rest under the region's key.
provider "aws" {
  region = "eu-central-1"
}

resource "aws_db_instance" "store" {
  identifier        = "residency-gateway-eu-central-1"
  engine            = "postgres"
  instance_class    = "db.r6g.large"
  storage_encrypted = false
}
