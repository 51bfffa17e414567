package kubernetes_test

import data.kubernetes

regions := {
	"us-east-1": {"jurisdiction": "US", "database_cidr": "10.10.32.0/20", "cell_cidr": "10.10.64.0/20"},
	"eu-central-1": {"jurisdiction": "EU", "database_cidr": "10.30.32.0/20", "cell_cidr": "10.30.64.0/20"},
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

# Cells.

eu_peer := {"id": "eu-central-1", "jurisdiction": "EU", "gatewayUrl": "https://gw-eu-central-1.cells.example.internal:8443"}

own_key := "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"

eu_key := "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000"

deployment(env) := deployment_with(env, {})

deployment_with(env, annotations) := {
	"kind": "Deployment",
	"metadata": {"name": "residency-gateway", "labels": {"residency/region": "us-east-1"}},
	"spec": {"template": {
		"metadata": {"annotations": annotations},
		"spec": {"containers": [{"name": "gateway", "env": env}]},
	}},
}

peers_env(peers) := [{"name": "GATEWAY_PEERS", "value": json.marshal(peers)}]

cell_network_policy(annotations, egress, ingress) := {
	"kind": "NetworkPolicy",
	"metadata": {"name": "residency-gateway", "labels": {"residency/region": "us-east-1"}, "annotations": annotations},
	"spec": {"egress": egress, "ingress": ingress},
}

to_eu_cell(ports) := [{"to": [{"ipBlock": {"cidr": "10.30.64.0/20"}}], "ports": ports}]

from_eu_cell := [{"from": [{"ipBlock": {"cidr": "10.30.64.0/20"}}], "ports": [{"port": 8443, "protocol": "TCP"}]}]

certificate(uris) := {
	"kind": "Certificate",
	"metadata": {"name": "residency-gateway-cell", "labels": {"residency/region": "us-east-1"}},
	"spec": {"secretName": "residency-gateway-cell-tls", "uris": uris},
}

test_cell_deployment_with_public_peers_and_its_own_key_passes if {
	env := array.concat(peers_env([object.union(eu_peer, {"placementWeight": 2})]), [{"name": "GATEWAY_PEER_PORT", "value": "8443"}])
	count(denials(deployment_with(env, {"residency/kms-key": own_key}))) == 0
}

test_foreign_kms_key_in_env_is_denied if {
	some msg in denials(deployment([{"name": "AWS_KMS_KEY_ID", "value": eu_key}]))
	contains(msg, "names the KMS key of eu-central-1 in env AWS_KMS_KEY_ID of container gateway")
}

test_foreign_kms_alias_in_pod_annotation_is_denied if {
	doc := deployment_with([], {"note": "wraps with arn:aws:kms:eu-central-1:111122223333:alias/residency"})
	some msg in denials(doc)
	contains(msg, "names the KMS key of eu-central-1 in pod annotation note")
}

test_foreign_kms_key_in_config_map_is_denied if {
	doc := {"kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"residency/region": "us-east-1"}}, "data": {"KMS": eu_key}}
	some msg in denials(doc)
	contains(msg, "names the KMS key of eu-central-1 in data KMS")
}

test_foreign_kms_key_in_a_cron_job_is_denied if {
	doc := {
		"kind": "CronJob",
		"metadata": {"name": "rewrap", "labels": {"residency/region": "us-east-1"}},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "env": [{"name": "K", "value": eu_key}]}]}}}}},
	}
	some msg in denials(doc)
	contains(msg, "names the KMS key of eu-central-1")
}

test_database_url_in_env_is_denied if {
	some msg in denials(deployment([{"name": "DATABASE_URL", "value": "PostgreSQL://app:secret@db.us-east-1.internal/residency"}]))
	contains(msg, "database URLs belong in the topology secret only")
}

test_database_url_in_config_map_is_denied if {
	doc := {"kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"residency/region": "us-east-1"}}, "data": {"db": "postgres://db/x"}}
	some msg in denials(doc)
	contains(msg, "has a database URL in data db")
}

test_peer_carrying_a_database_url_is_denied if {
	some msg in denials(deployment(peers_env([object.union(eu_peer, {"databaseUrl": "postgres://db.eu/x"})])))
	contains(msg, "the GATEWAY_PEERS entry eu-central-1 carries databaseUrl")
}

test_peer_carrying_a_kms_key_is_denied if {
	found := denials(deployment(peers_env([object.union(eu_peer, {"kmsKeyId": eu_key, "kmsEndpoint": "https://kms"})])))
	some key_msg in found
	contains(key_msg, "carries kmsKeyId")
	some endpoint_msg in found
	contains(endpoint_msg, "carries kmsEndpoint")
}

test_peer_with_another_field_is_denied if {
	some msg in denials(deployment(peers_env([object.union(eu_peer, {"password": "x"})])))
	contains(msg, "has password: a peer entry has only id, jurisdiction, gatewayUrl and placementWeight")
}

test_peer_naming_the_cells_own_region_is_denied if {
	own := {"id": "us-east-1", "jurisdiction": "US", "gatewayUrl": "https://gw-us-east-1.cells.example.internal:8443"}
	some msg in denials(deployment(peers_env([eu_peer, own])))
	contains(msg, "GATEWAY_PEERS names us-east-1, the cell's own region")
}

test_peer_of_an_unknown_region_is_denied if {
	some msg in denials(deployment(peers_env([object.union(eu_peer, {"id": "ap-south-1"})])))
	contains(msg, "names ap-south-1, a region not in policies/infra/data/regions.json")
}

test_peer_in_the_wrong_jurisdiction_is_denied if {
	some msg in denials(deployment(peers_env([object.union(eu_peer, {"jurisdiction": "US"})])))
	contains(msg, "puts eu-central-1 in US, but it is in EU")
}

test_peer_over_plain_http_is_denied if {
	some msg in denials(deployment(peers_env([object.union(eu_peer, {"gatewayUrl": "http://gw-eu:8443"})])))
	contains(msg, "over mutual TLS (https) only")
}

test_peers_that_are_not_a_json_array_are_denied if {
	some msg in denials(deployment([{"name": "GATEWAY_PEERS", "value": "eu-central-1=https://gw-eu"}]))
	contains(msg, "is not a JSON array")
}

test_cell_network_policy_passes if {
	doc := cell_network_policy({"residency/peer-port": "8443"}, to_eu_cell([{"port": 8443, "protocol": "TCP"}]), from_eu_cell)
	count(denials(doc)) == 0
}

test_egress_to_a_peer_on_another_port_is_denied if {
	doc := cell_network_policy({}, to_eu_cell([{"port": 8443, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]), [])
	some msg in denials(doc)
	contains(msg, "reaches the eu-central-1 cell, on 443/TCP: a peer cell only on the peer port 8443/TCP")
}

test_egress_to_a_peer_on_every_port_is_denied if {
	some msg in denials(cell_network_policy({}, to_eu_cell([]), []))
	contains(msg, "reaches the eu-central-1 cell, on every port")
}

test_egress_to_a_peer_over_udp_or_a_port_range_is_denied if {
	found := denials(cell_network_policy({}, to_eu_cell([{"port": 8443, "protocol": "UDP"}, {"port": 8000, "endPort": 9000}]), []))
	some msg in found
	contains(msg, "on 8000/TCP, 8443/UDP")
}

test_the_peer_port_comes_from_the_network_policy_annotation if {
	annotations := {"residency/peer-port": "9443"}
	count(denials(cell_network_policy(annotations, to_eu_cell([{"port": 9443}]), []))) == 0
	some msg in denials(cell_network_policy(annotations, to_eu_cell([{"port": 8443}]), []))
	contains(msg, "on 8443/TCP: a peer cell only on the peer port 9443/TCP")
}

test_ingress_on_the_peer_port_from_anyone_is_denied if {
	some msg in denials(cell_network_policy({}, [], [{"ports": [{"port": 8443, "protocol": "TCP"}]}]))
	contains(msg, "admits anyone on the peer port 8443")
}

test_ingress_on_every_port_from_another_network_is_denied if {
	some msg in denials(cell_network_policy({}, [], [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]))
	contains(msg, "admits 10.0.0.0/8 on the peer port 8443")
}

test_ingress_on_the_peer_port_from_the_cells_own_network_is_denied if {
	some msg in denials(cell_network_policy({}, [], [{"from": [{"ipBlock": {"cidr": "10.10.64.0/20"}}], "ports": [{"port": 8000, "endPort": 9000}]}]))
	contains(msg, "admits 10.10.64.0/20 on the peer port")
}

test_ingress_on_the_public_port_from_anyone_is_denied if {
	some msg in denials(cell_network_policy({"residency/peer-port": "8443"}, [], [{"ports": [{"port": 8080, "protocol": "TCP"}]}]))
	contains(msg, "admits anyone on the API port 8080")
}

test_ingress_on_the_public_port_from_the_regions_callers_passes if {
	count(denials(cell_network_policy({}, [], [{"from": [{"ipBlock": {"cidr": "10.10.0.0/18"}}], "ports": [{"port": 8080, "protocol": "TCP"}]}]))) == 0
}

test_ingress_on_the_public_port_from_another_regions_cell_is_denied if {
	some msg in denials(cell_network_policy({}, [], [{"from": [{"ipBlock": {"cidr": "10.30.0.0/16"}}], "ports": [{"port": 8080, "protocol": "TCP"}]}]))
	contains(msg, "admits 10.30.0.0/16 on the API port 8080, which reaches the eu-central-1 cell")
}

test_cell_certificate_naming_its_own_region_passes if {
	count(denials(certificate(["spiffe://residency-gateway/cell/us-east-1"]))) == 0
}

test_cell_certificate_naming_another_region_is_denied if {
	some msg in denials(certificate(["spiffe://residency-gateway/cell/us-east-1", "spiffe://residency-gateway/cell/eu-central-1"]))
	contains(msg, "names spiffe://residency-gateway/cell/eu-central-1: a cell's certificate names only its own region")
}

test_cell_certificate_without_its_identity_is_denied if {
	some msg in denials(certificate([]))
	contains(msg, "lacks the URI SAN spiffe://residency-gateway/cell/us-east-1")
}

test_unlabelled_deployment_is_denied if {
	some msg in denials({"kind": "Deployment", "metadata": {"name": "x"}, "spec": {}})
	contains(msg, "Deployment x has no residency/region label")
}
