# One cell per region. Terraform needs a provider per region, so each region is its own module
# block; all of them read the same region → jurisdiction map.

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

provider "aws" {
  alias  = "us_west_2"
  region = "us-west-2"
}

provider "aws" {
  alias  = "eu_central_1"
  region = "eu-central-1"
}

module "us_east_1" {
  source    = "../../modules/region"
  providers = { aws = aws.us_east_1 }

  region                    = "us-east-1"
  jurisdiction              = var.region_jurisdictions["us-east-1"]
  admin_role_arn            = var.admin_role_arn
  vpc_id                    = var.cells["us-east-1"].vpc_id
  database_subnet_ids       = var.cells["us-east-1"].database_subnet_ids
  gateway_security_group_id = var.cells["us-east-1"].gateway_security_group_id
  oidc_provider_arn         = var.cells["us-east-1"].oidc_provider_arn
  oidc_provider_url         = var.cells["us-east-1"].oidc_provider_url
}

module "us_west_2" {
  source    = "../../modules/region"
  providers = { aws = aws.us_west_2 }

  region                    = "us-west-2"
  jurisdiction              = var.region_jurisdictions["us-west-2"]
  admin_role_arn            = var.admin_role_arn
  vpc_id                    = var.cells["us-west-2"].vpc_id
  database_subnet_ids       = var.cells["us-west-2"].database_subnet_ids
  gateway_security_group_id = var.cells["us-west-2"].gateway_security_group_id
  oidc_provider_arn         = var.cells["us-west-2"].oidc_provider_arn
  oidc_provider_url         = var.cells["us-west-2"].oidc_provider_url
}

module "eu_central_1" {
  source    = "../../modules/region"
  providers = { aws = aws.eu_central_1 }

  region                    = "eu-central-1"
  jurisdiction              = var.region_jurisdictions["eu-central-1"]
  admin_role_arn            = var.admin_role_arn
  vpc_id                    = var.cells["eu-central-1"].vpc_id
  database_subnet_ids       = var.cells["eu-central-1"].database_subnet_ids
  gateway_security_group_id = var.cells["eu-central-1"].gateway_security_group_id
  oidc_provider_arn         = var.cells["eu-central-1"].oidc_provider_arn
  oidc_provider_url         = var.cells["eu-central-1"].oidc_provider_url
}
