# METADATA
# title: residency-gateway access decisions
# description: |
#   Every access the gateway serves is decided here (DESIGN §7). The entrypoint
#   `residency/decision` returns {allow, reasons, fields, break_glass}. Fields the decision
#   does not list are redacted by the gateway.
package residency

role_grants := data.residency.roles

collections := data.residency.catalog.collections

service_narrowing := data.residency.services

excepted_classes := {"public", "metadata"}

# Field actions per access mode and data class.
mode_field_actions := {
	"full": {
		"public": "allow", "metadata": "allow", "pseudonymous": "allow",
		"pii": "allow", "sensitive": "allow", "content": "allow",
	},
	"excepted": {
		"public": "allow", "metadata": "allow", "pseudonymous": "redact",
		"pii": "redact", "sensitive": "redact", "content": "redact",
	},
	"recommendation": {
		"public": "allow", "metadata": "allow", "pseudonymous": "pseudonymize",
		"pii": "redact", "sensitive": "redact", "content": "redact",
	},
	"moderation": {
		"public": "allow", "metadata": "allow", "pseudonymous": "allow",
		"pii": "redact", "sensitive": "redact", "content": "allow",
	},
}

record_read_actions := {"read", "list", "query"}

record_write_actions := {"write", "delete"}

subject_actions := {"subject.create", "subject.read", "subject.erase"}

case_actions := {"case.open", "case.read", "case.approve", "case.close", "case.list"}

audit_actions := {"audit.read", "audit.cosign", "audit.review"}

# Reading which bundle is in force (GET /v1/policy): any caller with known roles, and logged.
policy_actions := {"policy.read"}

known_actions := (((record_read_actions | record_write_actions) | subject_actions) | (case_actions | audit_actions)) | policy_actions

record_actions := record_read_actions | record_write_actions

# --- who is asking ----------------------------------------------------------------------

caller_roles := {r | some r in input.caller.roles}

unknown_roles := {r | some r in caller_roles; not role_grants[r]}

role_purposes := {p | some r in caller_roles; some p in role_grants[r].purposes}

known_purposes := {p | some role in role_grants; some p in role.purposes}

# A named service may be narrowed to fewer purposes than its roles grant.
granted_purposes := role_purposes & {p | some p in service_narrowing[input.caller.service].purposes} if {
	service_narrowing[input.caller.service]
} else := role_purposes

# The caller runs in the data's jurisdiction.
same_jurisdiction if input.caller.jurisdiction == input.resource.jurisdiction

# Another cell forwarded the request (DESIGN §4, Cells) from outside the data's jurisdiction:
# whatever is answered passes through that jurisdiction on its way back.
via_other_jurisdiction if {
	is_object(input.via)
	input.via.jurisdiction != input.resource.jurisdiction
}

# What is read stays in the data's jurisdiction: the caller is there and so is every cell the
# answer passes through. A caller at home calling through a foreign cell reads as if abroad.
answer_stays if {
	same_jurisdiction
	not via_other_jurisdiction
}

# --- the case, resolved by the gateway from X-Case-Id -------------------------------------

has_case if is_object(input.case)

case_names_subject if input.case.names_subject == true

case_in_subject_jurisdiction if input.case.jurisdiction == input.resource.jurisdiction

open_user_report if {
	input.case.kind == "user-report"
	input.case.status == "open"
	case_names_subject
	case_in_subject_jurisdiction
}

# An approved legal request is not a bearer token: it is used only by the service it names as
# requester, from the jurisdiction it names, about the subjects it names, until it expires
# (times are the gateway's RFC 3339 UTC strings, which order as text).
approved_legal_request if {
	legal_request_approved
	case_names_subject
	input.case.requester == input.caller.service
	input.case.requester_jurisdiction == input.caller.jurisdiction
	input.now < input.case.expires_at
}

legal_request_approved if {
	input.case.kind == "legal-request"
	input.case.status == "approved"
}

# --- how a record read is served ----------------------------------------------------------

read_mode := "full" if {
	input.purpose == "legal-process"
	approved_legal_request
} else := "moderation" if {
	input.purpose == "moderation"
	"moderator" in caller_roles
	open_user_report
	answer_stays
} else := "recommendation" if {
	input.purpose == "recommendation"
} else := "full" if {
	input.purpose in {"service-delivery", "dsar"}
	answer_stays
} else := "excepted" if {
	input.purpose in {"service-delivery", "dsar"}
	not answer_stays
}

requested_fields := {f | some f in input.resource.fields}

field_class(f) := collections[input.resource.collection].fields[f].class

fields := {f: mode_field_actions[read_mode][field_class(f)] | some f in requested_fields} if {
	input.action in record_read_actions
} else := {}

# --- deny reasons: any one of them denies ---------------------------------------------------

deny contains "unknown_action" if not input.action in known_actions

deny contains "no_roles" if count(caller_roles) == 0

deny contains "unknown_role" if count(unknown_roles) > 0

deny contains "unknown_purpose" if {
	is_string(input.purpose)
	not input.purpose in known_purposes
}

deny contains "purpose_not_granted" if {
	input.purpose in known_purposes
	not input.purpose in granted_purposes
}

deny contains "auditor_reads_audit_log_only" if {
	"auditor" in caller_roles
	input.action in (record_actions | subject_actions)
	not input.purpose in granted_purposes
}

deny contains "purpose_required" if {
	input.action in (record_actions | subject_actions)
	not is_string(input.purpose)
}

deny contains "unknown_collection" if {
	input.action in record_actions
	not collections[input.resource.collection]
}

deny contains "unknown_field" if {
	input.action in record_read_actions
	collections[input.resource.collection]
	some f in requested_fields
	not collections[input.resource.collection].fields[f]
}

# Reads.

deny contains "case_required" if {
	input.action in record_read_actions
	input.purpose in {"moderation", "legal-process"}
	not has_case
}

deny contains "case_not_open" if {
	input.action in record_read_actions
	input.purpose == "moderation"
	has_case
	not open_user_report
}

deny contains "outside_jurisdiction" if {
	input.action in record_read_actions
	input.purpose == "moderation"
	open_user_report
	not answer_stays
}

deny contains "moderator_role_required" if {
	input.action in record_read_actions
	input.purpose == "moderation"
	not "moderator" in caller_roles
}

deny contains "case_not_approved" if {
	input.action in legal_case_actions
	input.purpose == "legal-process"
	has_case
	not legal_request_approved
}

deny contains "case_not_naming_subject" if {
	input.action in legal_case_actions
	input.purpose == "legal-process"
	legal_request_approved
	not case_names_subject
}

deny contains "not_the_requester" if {
	input.action in legal_case_actions
	input.purpose == "legal-process"
	legal_request_approved
	not input.case.requester == input.caller.service
}

deny contains "outside_requester_jurisdiction" if {
	input.action in legal_case_actions
	input.purpose == "legal-process"
	legal_request_approved
	not input.case.requester_jurisdiction == input.caller.jurisdiction
}

deny contains "case_expired" if {
	input.action in legal_case_actions
	input.purpose == "legal-process"
	legal_request_approved
	not input.now < input.case.expires_at
}

legal_case_actions := record_read_actions | {"delete", "subject.erase"}

deny contains "cross_border_content_only" if {
	input.action in record_read_actions
	read_mode == "excepted"
	count(requested_fields) > 0
	every f in requested_fields {
		field_class(f) == "content"
	}
}

# A cross-border search may only match on excepted fields: matching on a protected value
# (an e-mail, an identifier) would tell the searcher whether it exists abroad.
deny contains "cross_border_protected_search" if {
	input.action == "query"
	not answer_stays
	read_mode != "full"
	some f in input.resource.where
	not field_class(f) in excepted_classes
}

# Nor, inside the jurisdiction, on a field the caller may not see: a recommendation service
# searching by e-mail or phone would learn whose they are.
deny contains "search_on_hidden_field" if {
	input.action == "query"
	answer_stays
	some f in input.resource.where
	mode_field_actions[read_mode][field_class(f)] != "allow"
}

# Writes into a jurisdiction are allowed for the owning services; removals need a reason.

deny contains "write_purpose" if {
	input.action in {"write", "subject.create"}
	is_string(input.purpose)
	not input.purpose in {"service-delivery", "dsar"}
}

deny contains "delete_not_permitted" if {
	input.action == "delete"
	not removal_permitted
}

# Erasure is irreversible: a data subject request handled by a privacy officer, or an approved
# legal request used by its requester. No ordinary service erases anyone.
deny contains "erasure_not_permitted" if {
	input.action == "subject.erase"
	not erasure_permitted
}

erasure_permitted if {
	input.purpose == "dsar"
	"privacy" in caller_roles
}

erasure_permitted if {
	input.purpose == "legal-process"
	approved_legal_request
}

removal_permitted if input.purpose == "dsar"

removal_permitted if {
	input.purpose == "service-delivery"
	same_jurisdiction
}

removal_permitted if {
	input.purpose == "legal-process"
	approved_legal_request
}

removal_permitted if {
	input.action == "delete"
	input.purpose == "moderation"
	"moderator" in caller_roles
	open_user_report
	same_jurisdiction
}

# Cases.

deny contains "role_required" if {
	input.action == "case.open"
	input.case.kind == "user-report"
	not "trust-and-safety" in caller_roles
}

deny contains "role_required" if {
	input.action == "case.open"
	input.case.kind == "legal-request"
	not "legal" in caller_roles
}

deny contains "role_required" if {
	input.action in {"case.read", "case.close"}
	count(caller_roles & {"trust-and-safety", "moderator", "legal"}) == 0
}

deny contains "role_required" if {
	input.action in {"case.read", "case.close"}
	input.case.kind == "legal-request"
	not "legal" in caller_roles
}

# A case is handled from the jurisdiction of the subjects it names (a legal request also from
# its requester's jurisdiction); approvals only from the subjects' jurisdiction.
deny contains "case_outside_jurisdiction" if {
	input.action in {"case.read", "case.close"}
	not case_handled_here
}

deny contains "case_outside_jurisdiction" if {
	input.action == "case.approve"
	input.caller.jurisdiction != input.case.jurisdiction
}

case_handled_here if input.caller.jurisdiction == input.case.jurisdiction

case_handled_here if {
	input.case.kind == "legal-request"
	input.caller.jurisdiction == input.case.requester_jurisdiction
}

deny contains "role_required" if {
	input.action == "case.approve"
	not "legal" in caller_roles
}

deny contains "not_approvable" if {
	input.action == "case.approve"
	not approvable
}

# Listing a region's legal requests (the reviewers' queue): legal reviewers of the region's
# jurisdiction only.
deny contains "role_required" if {
	input.action == "case.list"
	not "legal" in caller_roles
}

deny contains "case_outside_jurisdiction" if {
	input.action == "case.list"
	not answer_stays
}

approvable if {
	input.case.kind == "legal-request"
	input.case.status == "open"
}

deny contains "two_person_rule" if {
	input.action == "case.approve"
	input.case.opened_by == input.caller.service
}

deny contains "two_person_rule" if {
	input.action == "case.approve"
	input.case.requester == input.caller.service
}

# The audit log.

# Reading the log, and posting a witness's cosignature of a checkpoint (the gateway stores it
# only if it verifies under a configured witness key).
deny contains "auditor_role_required" if {
	input.action in audit_actions
	not "auditor" in caller_roles
}

# Logs about a jurisdiction's data are read from that jurisdiction, and not through a cell
# outside it.
# Marking a break-glass decision reviewed is an auditor's act, logged like a read.
deny contains "audit_outside_jurisdiction" if {
	input.action in {"audit.read", "audit.review"}
	not answer_stays
}

# --- the decision ---------------------------------------------------------------------------

allow if count(deny) == 0

grant_reason := "legal_process_break_glass" if {
	input.action in record_actions
	input.purpose == "legal-process"
} else := "moderation_case" if {
	input.purpose == "moderation"
} else := "read_excepted_via_other_jurisdiction" if {
	# Served in full only by the data's own cell: the caller may call it there directly.
	input.action in record_read_actions
	read_mode == "excepted"
	same_jurisdiction
	via_other_jurisdiction
} else := sprintf("read_%s", [read_mode]) if {
	input.action in record_read_actions
} else := "permitted"

break_glass if {
	allow
	input.purpose == "legal-process"
	approved_legal_request
}

reasons := sort([r | some r in deny]) if not allow

reasons := [grant_reason] if allow

decision := {
	"allow": allow,
	"reasons": reasons,
	"fields": fields,
	"break_glass": break_glass,
} if {
	allow
} else := {
	"allow": false,
	"reasons": reasons,
	"fields": {},
	"break_glass": false,
}

default allow := false

default break_glass := false

# --- for policy authors ---------------------------------------------------------------------

# `residency/explain` (`residency-gateway policy explain`): the decision and the rules behind
# it: every deny rule that fired, the grant, and how each requested field was served (its
# data class and the access mode that chose its action).
explain := {
	"decision": decision,
	"deny_rules": sort([r | some r in deny]),
	"grant_rule": explained_grant,
	"read_mode": explained_mode,
	"fields": {f: {"class": explained_class(f), "action": object.get(fields, f, "redact")} |
		some f in requested_fields
	},
}

explained_grant := grant_reason if {
	allow
} else := null

explained_mode := read_mode if {
	input.action in record_read_actions
} else := null

explained_class(f) := class if {
	class := field_class(f)
} else := null
