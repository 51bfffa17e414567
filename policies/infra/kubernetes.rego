# METADATA
# title: residency rules for the rendered Helm manifests
# description: |
#   A region's gateway may reach its own region's database, never another region's. As a cell it
#   holds only its own region's database and key, knows its peer cells by their public address
#   only, and reaches them on the peer port only (DESIGN §4, Cells).
package kubernetes

regions := data.residency_infra.regions

# The region of the rendered object (the chart labels everything it renders with it).
region := input.metadata.labels["residency/region"]

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}

# Kinds whose rules need to know their region.
region_scoped_kinds := workload_kinds | {"NetworkPolicy", "ConfigMap", "Certificate"}

# The port peer cells are reached and admitted on: the chart writes it on the NetworkPolicy.
default_peer_port := 8443

peer_port := to_number(port) if {
	port := input.metadata.annotations["residency/peer-port"]
} else := default_peer_port

# What a peer entry in GATEWAY_PEERS may carry (public, non-secret) and what it never may.
peer_fields := {"id", "jurisdiction", "gatewayUrl", "placementWeight"}

credential_fields := {"databaseUrl", "migrationDatabaseUrl", "kmsKeyId", "kmsEndpoint"}

cell_identity(r) := sprintf("spiffe://residency-gateway/cell/%s", [r])

pod_template := input.spec.jobTemplate.spec.template if {
	input.kind == "CronJob"
} else := {"metadata": {}, "spec": input.spec} if {
	input.kind == "Pod"
} else := input.spec.template if {
	input.kind in workload_kinds
}

containers contains container if {
	some field in ["containers", "initContainers"]
	some container in pod_template.spec[field]
}

# Every literal setting of the rendered object and where it is: its containers' env values, its
# and its pods' annotations, a ConfigMap's data.
settings contains {"where": sprintf("env %s of container %s", [env.name, container.name]), "name": env.name, "value": env.value} if {
	some container in containers
	some env in container.env
	is_string(env.value)
}

settings contains {"where": sprintf("annotation %s", [name]), "name": name, "value": value} if {
	some name, value in input.metadata.annotations
	is_string(value)
}

settings contains {"where": sprintf("pod annotation %s", [name]), "name": name, "value": value} if {
	some name, value in pod_template.metadata.annotations
	is_string(value)
}

settings contains {"where": sprintf("data %s", [name]), "name": name, "value": value} if {
	input.kind == "ConfigMap"
	some name, value in input.data
	is_string(value)
}

deny contains msg if {
	input.kind == "NetworkPolicy"
	some rule in input.spec.egress
	some peer in rule.to
	cidr := peer.ipBlock.cidr
	some other, spec in regions
	other != region
	net.cidr_intersects(cidr, spec.database_cidr)
	msg := sprintf("NetworkPolicy %s of %s allows egress to %s, which reaches the %s database", [input.metadata.name, region, cidr, other])
}

deny contains msg if {
	input.kind in region_scoped_kinds
	not input.metadata.labels["residency/region"]
	msg := sprintf("%s %s has no residency/region label", [input.kind, input.metadata.name])
}

# Cells. A cell's rendered configuration names no other region's KMS key...
deny contains msg if {
	some setting in settings
	some match in regex.find_all_string_submatch_n(`arn:aws[a-z-]*:kms:([a-z0-9-]+):`, setting.value, -1)
	other := match[1]
	other != region
	msg := sprintf("%s %s of %s names the KMS key of %s in %s: a cell holds only its own region's key", [input.kind, input.metadata.name, region, other, setting.where])
}

# ...and no database URL at all: the cell's own is in its topology secret, others' nowhere.
deny contains msg if {
	some setting in settings
	regex.match(`(?i)postgres(ql)?://`, setting.value)
	msg := sprintf("%s %s has a database URL in %s: database URLs belong in the topology secret only", [input.kind, input.metadata.name, setting.where])
}

peers_settings contains setting if {
	some setting in settings
	setting.name == "GATEWAY_PEERS"
	startswith(setting.where, "env ")
}

deny contains msg if {
	some setting in peers_settings
	not is_array(json_or_null(setting.value))
	msg := sprintf("%s %s: GATEWAY_PEERS in %s is not a JSON array", [input.kind, input.metadata.name, setting.where])
}

json_or_null(text) := json.unmarshal(text) if json.is_valid(text)

else := null

peer_entries contains {"where": setting.where, "entry": entry} if {
	some setting in peers_settings
	some entry in json_or_null(setting.value)
	is_object(entry)
}

peer_id(entry) := sprintf("%v", [object.get(entry, "id", "(no id)")])

deny contains msg if {
	some peer in peer_entries
	some field, _ in peer.entry
	field in credential_fields
	msg := sprintf("%s %s of %s: the GATEWAY_PEERS entry %s carries %s (%s): a cell holds no other region's database or key", [input.kind, input.metadata.name, region, peer_id(peer.entry), field, peer.where])
}

deny contains msg if {
	some peer in peer_entries
	some field, _ in peer.entry
	not field in peer_fields
	not field in credential_fields
	msg := sprintf("%s %s of %s: the GATEWAY_PEERS entry %s has %s: a peer entry has only id, jurisdiction, gatewayUrl and placementWeight", [input.kind, input.metadata.name, region, peer_id(peer.entry), field])
}

deny contains msg if {
	some peer in peer_entries
	peer.entry.id == region
	msg := sprintf("%s %s of %s: GATEWAY_PEERS names %s, the cell's own region: its own region is in its topology, never a peer", [input.kind, input.metadata.name, region, region])
}

deny contains msg if {
	some peer in peer_entries
	not regions[peer_id(peer.entry)]
	msg := sprintf("%s %s of %s: GATEWAY_PEERS names %s, a region not in policies/infra/data/regions.json", [input.kind, input.metadata.name, region, peer_id(peer.entry)])
}

deny contains msg if {
	some peer in peer_entries
	expected := regions[peer.entry.id].jurisdiction
	object.get(peer.entry, "jurisdiction", null) != expected
	msg := sprintf("%s %s of %s: GATEWAY_PEERS puts %s in %v, but it is in %s", [input.kind, input.metadata.name, region, peer.entry.id, object.get(peer.entry, "jurisdiction", "no jurisdiction"), expected])
}

deny contains msg if {
	some peer in peer_entries
	url := object.get(peer.entry, "gatewayUrl", "")
	not startswith(sprintf("%v", [url]), "https://")
	msg := sprintf("%s %s of %s: the GATEWAY_PEERS entry %s has gatewayUrl %v: peer cells are reached over mutual TLS (https) only", [input.kind, input.metadata.name, region, peer_id(peer.entry), url])
}

# A peer cell is reached on the peer port (TCP) only...
deny contains msg if {
	input.kind == "NetworkPolicy"
	some rule in input.spec.egress
	some peer in rule.to
	cidr := peer.ipBlock.cidr
	some other, spec in regions
	other != region
	net.cidr_intersects(cidr, spec.cell_cidr)
	ports := ports_beyond_peer_port(rule)
	count(ports) > 0
	msg := sprintf("NetworkPolicy %s of %s allows egress to %s, which reaches the %s cell, on %s: a peer cell only on the peer port %v/TCP", [input.metadata.name, region, cidr, other, concat(", ", sort(ports)), peer_port])
}

# ...and admits only the peer cells on the peer port.
deny contains msg if {
	input.kind == "NetworkPolicy"
	some rule in input.spec.ingress
	admits_peer_port(rule)
	some source in sources_beyond_peer_cells(rule)
	msg := sprintf("NetworkPolicy %s of %s admits %s on the peer port %v: only other regions' cells (their cidr) may call it", [input.metadata.name, region, source, peer_port])
}

ports_beyond_peer_port(rule) := {"every port"} if {
	count(object.get(rule, "ports", [])) == 0
} else := {sprintf("%v/%s", [object.get(port, "port", "every port"), object.get(port, "protocol", "TCP")]) |
	some port in rule.ports
	not is_peer_port(port)
}

is_peer_port(port) if {
	port.port == peer_port
	object.get(port, "protocol", "TCP") == "TCP"
	not port.endPort
}

admits_peer_port(rule) if count(object.get(rule, "ports", [])) == 0

admits_peer_port(rule) if {
	some port in rule.ports
	object.get(port, "protocol", "TCP") == "TCP"
	port_covers(port, peer_port)
}

port_covers(port, _) if not port.port

port_covers(port, number) if port.port == number

port_covers(port, number) if {
	is_number(port.endPort)
	port.port <= number
	number <= port.endPort
}

sources_beyond_peer_cells(rule) := {"anyone"} if {
	count(object.get(rule, "from", [])) == 0
} else := {source_name(source) |
	some source in rule.from
	not from_peer_cell(source)
}

from_peer_cell(source) if {
	some other, spec in regions
	other != region
	net.cidr_contains(spec.cell_cidr, source.ipBlock.cidr)
}

source_name(source) := source.ipBlock.cidr if source.ipBlock.cidr

else := "pods or namespaces of this cluster"

# The public API (8080) of a cell is for its own region's callers: a cell relays callers' tokens,
# so another region's cell must not be able to reach this cell's API and replay them. A cell's
# API is therefore never open to every address, and never to another region's cell.
api_port := 8080

deny contains msg if {
	input.kind == "NetworkPolicy"
	input.metadata.annotations["residency/peer-port"]
	some rule in input.spec.ingress
	admits_api_port(rule)
	count(object.get(rule, "from", [])) == 0
	msg := sprintf("NetworkPolicy %s of %s admits anyone on the API port %v: a cell's API only from its own region's callers (api.clientCidrs)", [input.metadata.name, region, api_port])
}

deny contains msg if {
	input.kind == "NetworkPolicy"
	some rule in input.spec.ingress
	admits_api_port(rule)
	some source in rule.from
	some other, spec in regions
	other != region
	net.cidr_intersects(source.ipBlock.cidr, spec.cell_cidr)
	msg := sprintf("NetworkPolicy %s of %s admits %s on the API port %v, which reaches the %s cell: another region's cell may call only the peer port", [input.metadata.name, region, source.ipBlock.cidr, api_port, other])
}

admits_api_port(rule) if count(object.get(rule, "ports", [])) == 0

admits_api_port(rule) if {
	some port in rule.ports
	object.get(port, "protocol", "TCP") == "TCP"
	port_covers(port, api_port)
}

# A cell's certificate names its own region, and no other: peers admit forwarded calls by it.
deny contains msg if {
	input.kind == "Certificate"
	some uri in object.get(input.spec, "uris", [])
	startswith(uri, "spiffe://residency-gateway/cell/")
	uri != cell_identity(region)
	msg := sprintf("Certificate %s of %s names %s: a cell's certificate names only its own region (%s)", [input.metadata.name, region, uri, cell_identity(region)])
}

deny contains msg if {
	input.kind == "Certificate"
	not cell_identity(region) in object.get(input.spec, "uris", [])
	msg := sprintf("Certificate %s of %s lacks the URI SAN %s its peers admit it by", [input.metadata.name, region, cell_identity(region)])
}
