# METADATA
# title: residency rules for the rendered Helm manifests
# description: A region's gateway may reach its own region's database, never another region's.
package kubernetes

regions := data.residency_infra.regions

deny contains msg if {
	input.kind == "NetworkPolicy"
	region := input.metadata.labels["residency/region"]
	some rule in input.spec.egress
	some peer in rule.to
	cidr := peer.ipBlock.cidr
	some other, spec in regions
	other != region
	net.cidr_intersects(cidr, spec.database_cidr)
	msg := sprintf("NetworkPolicy %s of %s allows egress to %s, which reaches the %s database", [input.metadata.name, region, cidr, other])
}

deny contains msg if {
	input.kind == "NetworkPolicy"
	not input.metadata.labels["residency/region"]
	msg := sprintf("NetworkPolicy %s has no residency/region label", [input.metadata.name])
}
