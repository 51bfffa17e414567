# BAD on purpose: a snapshot of the US store copied to an EU region.
provider "aws" {
  region = "us-east-1"
}

resource "aws_db_snapshot_copy" "to_eu" {
  source_db_snapshot_identifier = "arn:aws:rds:us-east-1:111122223333:snapshot:nightly"
  target_db_snapshot_identifier = "nightly-eu"
  destination_region            = "eu-central-1"
}
