package terraform_test

import data.terraform

regions := {
	"us-east-1": {"jurisdiction": "US", "database_cidr": "10.10.32.0/20"},
	"eu-central-1": {"jurisdiction": "EU", "database_cidr": "10.30.32.0/20"},
}

us_provider := {"aws": [{"region": "us-east-1"}, {"alias": "eu", "region": "eu-central-1"}]}

denials(doc) := found if {
	found := terraform.deny with input as doc with data.residency_infra.regions as regions
}

test_multi_region_key_is_denied if {
	some msg in denials({"provider": us_provider, "resource": {"aws_kms_key": {"k": [{"multi_region": true}]}}})
	contains(msg, "multi-region")
}

test_single_region_key_with_checked_policy_passes if {
	count(denials({"provider": us_provider, "resource": {"aws_kms_key": {"k": [{"multi_region": false, "policy": "${data.aws_iam_policy_document.key.json}"}]}}, "data": {"aws_iam_policy_document": {"key": [{"statement": [{"principals": [{"type": "AWS", "identifiers": ["${var.admin_role_arn}"]}]}]}]}}})) == 0
}

test_backup_replication_to_another_jurisdiction_is_denied if {
	some msg in denials({"provider": us_provider, "resource": {"aws_db_instance_automated_backups_replication": {"r": [{"provider": "${aws.eu}"}]}}})
	contains(msg, "outside the US jurisdiction")
}

test_snapshot_copy_inside_the_jurisdiction_passes if {
	doc := {"provider": {"aws": [{"region": "us-east-1"}]}, "resource": {"aws_db_snapshot_copy": {"c": [{"destination_region": "us-east-1"}]}}}
	count(denials(doc)) == 0
}

test_cross_jurisdiction_read_replica_is_denied if {
	doc := {"provider": us_provider, "resource": {"aws_db_instance": {"r": [{
		"provider": "${aws.eu}", "replicate_source_db": "arn:aws:rds:us-east-1:1:db:x",
		"storage_encrypted": true, "kms_key_id": "arn:aws:kms:eu-central-1:1:key/k",
	}]}}}
	some msg in denials(doc)
	contains(msg, "replicates")
}

test_database_with_another_regions_key_is_denied if {
	doc := {"provider": us_provider, "resource": {"aws_db_instance": {"db": [{"storage_encrypted": true, "kms_key_id": "arn:aws:kms:eu-central-1:1:key/k"}]}}}
	some msg in denials(doc)
	contains(msg, "own region")
}

test_unencrypted_database_is_denied if {
	some msg in denials({"provider": us_provider, "resource": {"aws_db_instance": {"db": [{"storage_encrypted": false}]}}})
	contains(msg, "not encrypted")
}

test_database_with_its_modules_key_passes if {
	doc := {"resource": {"aws_db_instance": {"db": [{"storage_encrypted": true, "kms_key_id": "${aws_kms_key.region.arn}"}]}}}
	count(denials(doc)) == 0
}

test_key_policy_with_foreign_principal_is_denied if {
	doc := {
		"provider": us_provider,
		"resource": {"aws_kms_key": {"k": [{"multi_region": false, "policy": "${data.aws_iam_policy_document.key.json}"}]}},
		"data": {"aws_iam_policy_document": {"key": [{"statement": [{"principals": [{"type": "AWS", "identifiers": ["${aws_iam_role.gateway.arn}", "arn:aws:iam::999:role/eu-gateway"]}]}]}]}},
	}
	some msg in denials(doc)
	contains(msg, "arn:aws:iam::999:role/eu-gateway")
}

test_inline_key_policy_is_denied if {
	some msg in denials({"resource": {"aws_kms_key": {"k": [{"policy": "${jsonencode({})}"}]}}})
	contains(msg, "aws_iam_policy_document")
}
