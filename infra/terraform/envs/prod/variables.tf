variable "region_jurisdictions" {
  description = "Every region of the deployment and its jurisdiction. Must agree with the gateway topology and policies/bundle/residency/jurisdictions."
  type        = map(string)
  default = {
    "us-east-1"    = "US"
    "us-west-2"    = "US"
    "eu-central-1" = "EU"
  }
}

variable "admin_role_arn" {
  description = "IAM role of the operators who administer the regional keys and stores."
  type        = string
}

variable "cells" {
  description = "Network and cluster facts of each region's cell, keyed by region."
  type = map(object({
    vpc_id                    = string
    database_subnet_ids       = list(string)
    gateway_security_group_id = string
    oidc_provider_arn         = string
    oidc_provider_url         = string
  }))
}
