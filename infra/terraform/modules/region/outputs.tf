output "database_endpoint" {
  description = "host:port of the region's PostgreSQL store (for the gateway's topology databaseUrl)."
  value       = aws_db_instance.store.endpoint
}

output "database_master_secret_arn" {
  description = "Secrets Manager secret with the master credentials (encrypted with the region's key)."
  value       = aws_db_instance.store.master_user_secret[0].secret_arn
}

output "kms_key_arn" {
  description = "The region's KMS key: the gateway's kmsKeyId for this region."
  value       = aws_kms_key.region.arn
}

output "gateway_role_arn" {
  description = "IAM role for the gateway's service account (eks.amazonaws.com/role-arn annotation)."
  value       = aws_iam_role.gateway.arn
}
