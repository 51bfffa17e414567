# BAD on purpose: a multi-region KMS key replicates key material across jurisdictions.
provider "aws" {
  region = "us-east-1"
}

resource "aws_kms_key" "region" {
  description         = "residency-gateway us-east-1"
  multi_region        = true
  enable_key_rotation = true
}
