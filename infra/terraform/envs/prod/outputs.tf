output "cells" {
  description = "Per region: database endpoint, KMS key ARN and gateway role ARN, for the gateway topology and the Helm values."
  value = {
    "us-east-1" = {
      database_endpoint = module.us_east_1.database_endpoint
      kms_key_arn       = module.us_east_1.kms_key_arn
      gateway_role_arn  = module.us_east_1.gateway_role_arn
    }
    "us-west-2" = {
      database_endpoint = module.us_west_2.database_endpoint
      kms_key_arn       = module.us_west_2.kms_key_arn
      gateway_role_arn  = module.us_west_2.gateway_role_arn
    }
    "eu-central-1" = {
      database_endpoint = module.eu_central_1.database_endpoint
      kms_key_arn       = module.eu_central_1.kms_key_arn
      gateway_role_arn  = module.eu_central_1.gateway_role_arn
    }
  }
}
