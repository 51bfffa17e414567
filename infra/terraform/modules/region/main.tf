# One residency cell: the region's KMS key, its PostgreSQL store encrypted with that key, and
# the IAM role the gateway pods assume. Nothing here replicates, copies or backs up data to
# another region: backups stay in the region (RDS automated backups), no read replica, no
# snapshot copy, no multi-region key.

data "aws_caller_identity" "current" {}

locals {
  name = "residency-gateway-${var.region}"
  tags = {
    "residency/region"       = var.region
    "residency/jurisdiction" = var.jurisdiction
    "app"                    = "residency-gateway"
  }
}

# --- KMS: single-region key, rotation on, usable only by the gateway role and the admin role.

resource "aws_kms_key" "region" {
  description             = "residency-gateway ${var.region} (${var.jurisdiction}): subject keys, blind-index and pseudonymization keys, RDS storage"
  multi_region            = false
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = local.tags
}

resource "aws_kms_alias" "region" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.region.key_id
}

data "aws_iam_policy_document" "key" {
  # In a key policy, "*" as the resource means "this key" and nothing else (the policy is
  # attached to one key); the principals are what limits it, and they are checked by
  # policies/infra/terraform.rego.
  #checkov:skip=CKV_AWS_111:key policy: resource "*" is this key only
  #checkov:skip=CKV_AWS_356:key policy: resource "*" is this key only
  #checkov:skip=CKV_AWS_109:key policy: administration limited to the admin role principal
  statement {
    sid = "KeyAdministration"
    principals {
      type        = "AWS"
      identifiers = [var.admin_role_arn]
    }
    actions = [
      "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
      "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
      "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    ]
    resources = ["*"]
  }

  # The gateway wraps and unwraps data keys, always with this region in the encryption context.
  statement {
    sid = "GatewayDataKeys"
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.gateway.arn]
    }
    actions   = ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:region"
      values   = [var.region]
    }
  }

  # RDS encrypts the store with this key on behalf of the admin role, only through RDS in this region.
  statement {
    sid = "RdsStorageInRegion"
    principals {
      type        = "AWS"
      identifiers = [var.admin_role_arn]
    }
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["rds.${var.region}.amazonaws.com"]
    }
  }
}

# --- IAM: the role gateway pods assume (IRSA).

data "aws_iam_policy_document" "gateway_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_provider_url}:sub"
      values   = ["system:serviceaccount:${var.gateway_service_account}"]
    }
  }
}

resource "aws_iam_role" "gateway" {
  name               = local.name
  assume_role_policy = data.aws_iam_policy_document.gateway_trust.json
  tags               = local.tags
}

# --- PostgreSQL: private, encrypted with the region's key, backups in the region.

resource "aws_db_subnet_group" "store" {
  name       = local.name
  subnet_ids = var.database_subnet_ids
  tags       = local.tags
}

resource "aws_security_group" "store" {
  name        = "${local.name}-store"
  description = "residency-gateway store: PostgreSQL from the gateway pods only"
  vpc_id      = var.vpc_id
  tags        = local.tags

  ingress {
    description     = "PostgreSQL from the gateway"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [var.gateway_security_group_id]
  }
}

resource "aws_db_parameter_group" "store" {
  name   = local.name
  family = "postgres15"
  tags   = local.tags

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name = "${local.name}-rds-monitoring"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "monitoring.rds.amazonaws.com" } }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]
  tags                = local.tags
}

resource "aws_db_instance" "store" {
  identifier     = local.name
  engine         = "postgres"
  engine_version = "15"
  instance_class = var.db_instance_class
  db_name        = "residency"
  username       = "gateway_admin"

  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.region.arn

  allocated_storage = var.db_allocated_storage
  storage_type      = "gp3"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.region.arn

  db_subnet_group_name   = aws_db_subnet_group.store.name
  vpc_security_group_ids = [aws_security_group.store.id]
  parameter_group_name   = aws_db_parameter_group.store.name
  publicly_accessible    = false
  multi_az               = true

  backup_retention_period   = var.backup_retention_days
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.name}-final"

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]
  performance_insights_enabled        = true
  performance_insights_kms_key_id     = aws_kms_key.region.arn
  monitoring_interval                 = 60
  monitoring_role_arn                 = aws_iam_role.rds_monitoring.arn

  tags = local.tags
}
