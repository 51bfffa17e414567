package kubernetes_test

import data.kubernetes

regions := {
	"us-east-1": {"jurisdiction": "US", "database_cidr": "10.10.32.0/20"},
	"eu-central-1": {"jurisdiction": "EU", "database_cidr": "10.30.32.0/20"},
}

policy(region, cidrs) := {
	"kind": "NetworkPolicy",
	"metadata": {"name": "residency-gateway", "labels": {"residency/region": region}},
	"spec": {"egress": [{"to": [{"ipBlock": {"cidr": c}} | some c in cidrs]}]},
}

denials(doc) := found if {
	found := kubernetes.deny with input as doc with data.residency_infra.regions as regions
}

test_egress_to_own_database_passes if {
	count(denials(policy("us-east-1", ["10.10.32.0/20", "10.10.48.0/24"]))) == 0
}

test_egress_to_another_regions_database_is_denied if {
	some msg in denials(policy("us-east-1", ["10.10.32.0/20", "10.30.40.0/24"]))
	contains(msg, "eu-central-1 database")
}

test_egress_to_everything_is_denied if {
	some msg in denials(policy("us-east-1", ["0.0.0.0/0"]))
	contains(msg, "eu-central-1")
}

test_unlabelled_network_policy_is_denied if {
	some msg in denials({"kind": "NetworkPolicy", "metadata": {"name": "x", "labels": {}}, "spec": {}})
	contains(msg, "residency/region")
}
