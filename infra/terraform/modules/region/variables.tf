variable "region" {
  description = "AWS region of this cell, e.g. us-east-1. The provider passed to the module must be configured for it."
  type        = string
}

variable "jurisdiction" {
  description = "Jurisdiction the region belongs to (US, EU, ...). Data of this region never leaves it."
  type        = string
}

variable "admin_role_arn" {
  description = "IAM role that administers the region's KMS key (and creates the database). The only principal besides the gateway role in the key policy."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the region's cell."
  type        = string
}

variable "database_subnet_ids" {
  description = "Private subnets for the database (no route to the internet)."
  type        = list(string)
}

variable "gateway_security_group_id" {
  description = "Security group of the gateway pods; the only source allowed to reach the database."
  type        = string
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's OIDC provider (IRSA), trusted to assume the gateway role."
  type        = string
}

variable "oidc_provider_url" {
  description = "URL of the cluster's OIDC issuer without https://, e.g. oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE."
  type        = string
}

variable "gateway_service_account" {
  description = "namespace:name of the gateway's Kubernetes service account."
  type        = string
  default     = "residency-gateway:residency-gateway"
}

variable "db_instance_class" {
  description = "RDS instance class of the regional store."
  type        = string
  default     = "db.r6g.large"
}

variable "db_allocated_storage" {
  description = "Allocated storage in GiB."
  type        = number
  default     = 100
}

variable "backup_retention_days" {
  description = "Automated backups kept (in this region only)."
  type        = number
  default     = 14
}

variable "deletion_protection" {
  description = "Protect the store from deletion."
  type        = bool
  default     = true
}
