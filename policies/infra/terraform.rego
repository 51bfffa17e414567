# METADATA
# title: residency rules for the Terraform of the regional cells
# description: |
#   Evaluated by conftest on every .tf file of infra/terraform (HCL parsed to JSON). A cell's
#   data, keys and backups stay in its region's jurisdiction.
package terraform

regions := data.residency_infra.regions

resources(kind) := [{"name": name, "body": body} |
	some name, bodies in input.resource[kind]
	some body in bodies
]

# The region of the file's default provider; undefined in a module, which takes its provider
# from the caller.
home_region := region if {
	some provider in input.provider.aws
	not provider.alias
	region := provider.region
}

jurisdiction_of(region) := regions[region].jurisdiction

# The region a resource is created in: its aliased provider's region, else the default one.
resource_region(body) := region if {
	alias := trim_suffix(trim_prefix(body.provider, "${aws."), "}")
	some provider in input.provider.aws
	provider.alias == alias
	region := provider.region
} else := home_region

# The region named by an ARN, e.g. arn:aws:kms:eu-central-1:...
arn_region(arn) := parts[3] if {
	is_string(arn)
	parts := split(arn, ":")
	count(parts) > 3
	parts[0] == "arn"
}

crosses_jurisdiction(region) if {
	home_region
	jurisdiction_of(region) != jurisdiction_of(home_region)
}

crosses_jurisdiction(region) if {
	home_region
	not regions[region]
}

# 1. No multi-region KMS keys or key replicas.
deny contains msg if {
	some key in resources("aws_kms_key")
	key.body.multi_region == true
	msg := sprintf("aws_kms_key.%s is multi-region: key material would leave the jurisdiction", [key.name])
}

deny contains msg if {
	some replica in resources("aws_kms_replica_key")
	msg := sprintf("aws_kms_replica_key.%s replicates a key to another region", [replica.name])
}

# 2. No replica, snapshot copy or backup destination in another jurisdiction.
copy_kinds := {"aws_db_instance_automated_backups_replication", "aws_db_snapshot_copy", "aws_db_cluster_snapshot_copy"}

deny contains msg if {
	some kind in copy_kinds
	some copy in resources(kind)
	destination := object.get(copy.body, "destination_region", resource_region(copy.body))
	crosses_jurisdiction(destination)
	msg := sprintf("%s.%s copies data to %s, outside the %s jurisdiction", [kind, copy.name, destination, jurisdiction_of(home_region)])
}

deny contains msg if {
	some db in resources("aws_db_instance")
	source := arn_region(db.body.replicate_source_db)
	jurisdiction_of(source) != jurisdiction_of(resource_region(db.body))
	msg := sprintf("aws_db_instance.%s replicates a %s store into %s", [db.name, source, resource_region(db.body)])
}

deny contains msg if {
	some cluster in resources("aws_rds_global_cluster")
	msg := sprintf("aws_rds_global_cluster.%s spans regions", [cluster.name])
}

# 3. Every database is encrypted, with the KMS key of its own region.
deny contains msg if {
	some db in resources("aws_db_instance")
	not db.body.storage_encrypted == true
	msg := sprintf("aws_db_instance.%s is not encrypted at rest", [db.name])
}

deny contains msg if {
	some db in resources("aws_db_instance")
	db.body.storage_encrypted == true
	not own_region_key(db.body)
	msg := sprintf("aws_db_instance.%s is not encrypted with the KMS key of its own region", [db.name])
}

# A key created in the same configuration (same provider), or a literal ARN of the same region.
own_region_key(body) if startswith(body.kms_key_id, "${aws_kms_key.")

own_region_key(body) if arn_region(body.kms_key_id) == resource_region(body)

# 4. Key policies name only the region's gateway role and the admin role.
allowed_principals := {"${aws_iam_role.gateway.arn}", "${var.admin_role_arn}"}

key_policy_documents contains name if {
	some key in resources("aws_kms_key")
	name := trim_suffix(trim_prefix(key.body.policy, "${data.aws_iam_policy_document."), ".json}")
}

deny contains msg if {
	some key in resources("aws_kms_key")
	is_string(key.body.policy)
	not startswith(key.body.policy, "${data.aws_iam_policy_document.")
	msg := sprintf("aws_kms_key.%s: write its policy as an aws_iam_policy_document so its principals can be checked", [key.name])
}

deny contains msg if {
	some name in key_policy_documents
	some document in input.data.aws_iam_policy_document[name]
	some statement in document.statement
	some principal in statement.principals
	some identifier in principal.identifiers
	not identifier in allowed_principals
	msg := sprintf("key policy %s names %s: only the region's gateway role and the admin role may use the key", [name, identifier])
}

deny contains msg if {
	some name in key_policy_documents
	some document in input.data.aws_iam_policy_document[name]
	some statement in document.statement
	some principal in statement.principals
	principal.type != "AWS"
	msg := sprintf("key policy %s grants a %s principal", [name, principal.type])
}
