# BAD on purpose: the key policy lets the whole account (and anyone) use the key.
provider "aws" {
  region = "us-east-1"
}

resource "aws_kms_key" "region" {
  description         = "residency-gateway us-east-1"
  multi_region        = false
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key.json
}

data "aws_iam_policy_document" "key" {
  statement {
    sid = "Everyone"
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root", "*"]
    }
    actions   = ["kms:*"]
    resources = ["*"]
  }
}
